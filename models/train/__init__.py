"""NCSNv2 score network (`ncsnv2`) and its training (`train`)."""
