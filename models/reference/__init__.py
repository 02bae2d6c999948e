"""Reference QCS-SGM sampler (`sampler`), figures (`evaluate`), golden replay, speed baseline."""
