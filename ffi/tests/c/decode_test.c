/* Host-side C test of the API (x86_64, the system cc): decodes frames made by `qcs measure`
 * (argv: expected fields, then the frame file) and checks every header field, the codes
 * against qcs_uniform_quantize's bins, and the error codes of bad input. Exit 0 on success. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcs.h"

static int failures = 0;
#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                      \
    }                                                                  \
  } while (0)

int main(int argc, char **argv) {
  /* argv: file counter n height width channels m sigma_bits seed kind scaling qkind bits delta_bits */
  if (argc != 15) {
    fprintf(stderr, "usage: decode_test FRAME counter n h w c m sigma_bits seed op scaling qkind bits delta_bits\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 2;
  static uint8_t buf[1 << 16];
  size_t len = fread(buf, 1, sizeof buf, f);
  fclose(f);

  size_t peek = 0;
  CHECK(qcs_frame_peek_len(buf, len, &peek) == QCS_STATUS_OK);
  CHECK(peek == len);
  QcsFrameInfo info;
  CHECK(qcs_frame_decode(buf, len, &info) == QCS_STATUS_OK);
  CHECK(info.frame_len == len);
  CHECK(info.version == QCS_FRAME_VERSION);
  CHECK(info.flags == 0);
  CHECK(info.counter == strtoul(argv[2], NULL, 0));
  CHECK(info.n == strtoul(argv[3], NULL, 0));
  CHECK(info.height == strtoul(argv[4], NULL, 0));
  CHECK(info.width == strtoul(argv[5], NULL, 0));
  CHECK(info.channels == strtoul(argv[6], NULL, 0));
  CHECK(info.m == strtoul(argv[7], NULL, 0));
  uint32_t sigma_bits;
  memcpy(&sigma_bits, &info.sigma, 4);
  CHECK(sigma_bits == strtoul(argv[8], NULL, 0));
  CHECK(info.operator_seed == strtoull(argv[9], NULL, 0));
  CHECK(info.operator_kind == strtoul(argv[10], NULL, 0));
  CHECK(info.scaling == strtoul(argv[11], NULL, 0));
  CHECK(info.quantizer_kind == strtoul(argv[12], NULL, 0));
  CHECK(info.bits == strtoul(argv[13], NULL, 0));
  uint32_t delta_bits;
  memcpy(&delta_bits, &info.delta, 4);
  CHECK(delta_bits == strtoul(argv[14], NULL, 0));
  size_t packed = 0;
  CHECK(qcs_packed_len(info.m, info.bits, &packed) == QCS_STATUS_OK);
  CHECK(info.payload_len == packed);
  CHECK(info.payload_offset == QCS_FRAME_HEADER_LEN);
  CHECK(info.payload_offset + info.payload_len + QCS_FRAME_CRC_LEN == len);
  uint32_t crc = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 |
                 (uint32_t)buf[len - 2] << 16 | (uint32_t)buf[len - 1] << 24;
  CHECK(info.crc == crc);

  /* The codes: unpacked through the frame and directly from the payload agree, each code's
   * codeword re-quantizes to itself, and repacking gives the payload back. */
  static uint16_t codes[1 << 14], again[1 << 14], requant[1 << 14];
  static float words[1 << 14];
  static uint8_t repacked[1 << 16];
  CHECK(info.m <= (1 << 14));
  CHECK(qcs_frame_codes(buf, len, codes, info.m) == QCS_STATUS_OK);
  CHECK(qcs_unpack_codes(buf + info.payload_offset, info.payload_len, info.bits, again, info.m) ==
        QCS_STATUS_OK);
  CHECK(memcmp(codes, again, 2 * (size_t)info.m) == 0);
  for (uint32_t i = 0; i < info.m; i++)
    CHECK(qcs_uniform_codeword(info.bits, info.delta, codes[i], &words[i]) == QCS_STATUS_OK);
  CHECK(qcs_uniform_quantize(info.bits, info.delta, words, info.m, requant) == QCS_STATUS_OK);
  CHECK(memcmp(codes, requant, 2 * (size_t)info.m) == 0);
  size_t written = 0;
  CHECK(qcs_pack_codes(codes, info.m, info.bits, repacked, sizeof repacked, &written) == QCS_STATUS_OK);
  CHECK(written == info.payload_len);
  CHECK(memcmp(repacked, buf + info.payload_offset, written) == 0);

  /* Errors: each its own code, and the outputs untouched. */
  QcsFrameInfo untouched;
  memset(&untouched, 0xA5, sizeof untouched);
  QcsFrameInfo probe = untouched;
  CHECK(qcs_frame_decode(NULL, len, &probe) == QCS_STATUS_NULL_POINTER);
  CHECK(qcs_frame_decode(buf, len, NULL) == QCS_STATUS_NULL_POINTER);
  CHECK(qcs_frame_decode(buf, len - 1, &probe) == QCS_STATUS_TRUNCATED);
  CHECK(qcs_frame_decode(buf, 5, &probe) == QCS_STATUS_TRUNCATED);
  CHECK(qcs_frame_decode(buf, len + 1, &probe) == QCS_STATUS_TRAILING_BYTES);
  buf[len - 1] ^= 1;
  CHECK(qcs_frame_decode(buf, len, &probe) == QCS_STATUS_BAD_CRC);
  buf[len - 1] ^= 1;
  buf[0] = 'X';
  CHECK(qcs_frame_decode(buf, len, &probe) == QCS_STATUS_BAD_MAGIC);
  buf[0] = 'Q';
  CHECK(memcmp(&probe, &untouched, sizeof probe) == 0);
  CHECK(qcs_frame_codes(buf, len, codes, info.m + 1) == QCS_STATUS_DIMENSION_MISMATCH);
  CHECK(qcs_frame_values(buf, len, words, info.m) == QCS_STATUS_KIND_MISMATCH);
  CHECK(qcs_uniform_quantize(0, 1.0f, words, 1, requant) == QCS_STATUS_INVALID_PARAMETER);
  CHECK(strcmp(qcs_status_message(QCS_STATUS_BAD_CRC), "the frame's CRC-32 does not match") == 0);
  CHECK(strcmp(qcs_status_message(-1), "unknown status code") == 0);

  if (failures) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("decode_test: ok (M=%u, Q=%u, %zu bytes)\n", info.m, info.bits, len);
  return 0;
}
