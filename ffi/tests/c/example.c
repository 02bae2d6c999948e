#include <stdio.h>
#include "qcs.h"

int main(void) {
  float x[784]; /* the signal: a 28x28 image in [0, 1] */
  for (int i = 0; i < 784; i++) x[i] = (float)(i % 28) / 27.0f;
  QcsSensorSettings s = {.n = 784, .height = 28, .width = 28, .channels = 1, .m = 200,
                         .operator_kind = QCS_OPERATOR_SEEDED, .operator_seed = 7,
                         .scaling = QCS_SCALING_PER_MEASUREMENT,
                         .quantizer_kind = QCS_QUANTIZER_UNIFORM, .bits = 1, .delta = 2.0f,
                         .sigma = 0.05f, .noise_seed = 2026, .noise_stream = 0, .counter = 1};
  static uint32_t work[1200 / 4]; /* qcs_sensor_workspace_size(): 1200 bytes */
  uint8_t frame[85];              /* qcs_sensor_frame_size(): 85 bytes */
  size_t len = 0;
  QcsStatus st = qcs_sensor_measure(&s, x, 784, work, sizeof work, frame, sizeof frame, &len);
  QcsFrameInfo info; /* a gateway: check the frame and read its header */
  if (st == QCS_STATUS_OK) st = qcs_frame_decode(frame, len, &info);
  if (st != QCS_STATUS_OK) return fprintf(stderr, "qcs: %s\n", qcs_status_message(st)), 1;
  printf("frame %u: %zu bytes, N = %u, M = %u, Q = %u\n", info.counter, len, info.n, info.m,
         info.bits);
  return 0;
}
