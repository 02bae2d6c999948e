/* The QCS-SGM sensor firmware in C: the Rust firmware's 16 sensor jobs (../src/sensor.rs)
 * through the C API of qcs-core (libqcs_ffi.a, ../../ffi/include/qcs.h), on an emulated
 * Cortex-M4F (QEMU mps2-an386). Writes the same `FRAME i <hex>` lines over semihosting and
 * exits QEMU with status 0 only when every job succeeded. No heap, no stdio: the startup
 * code, the semihosting calls and the hex output are below. */
#include <stddef.h>
#include <stdint.h>

#include "qcs.h"

/* The problem size of the Rust firmware's sensor jobs. */
#define N 784
#define M 200
#define DIGITS 4
/* QCS_FW_SEEDED_ONLY (`make budget`): the seeded operator's jobs only, as the Rust firmware's
 * `--no-default-features` build that the flash/RAM budget is stated for. */
#ifdef QCS_FW_SEEDED_ONLY
#define OPS 1
#define SCRATCH_BYTES 0
#else
#define OPS 2
#define SCRATCH_BYTES (4 * N)
#endif
/* Seeds and settings of ../src/sensor.rs. */
#define OP_SEED_BASE 0x5EED000000000000ull
#define NOISE_SEED 2026u
#define SIGMA 0.05f
#define DELTA_3BIT 0.75f
/* Frame capacity: header, the packed codes at 3 bits, CRC. */
#define FRAME_CAP (QCS_FRAME_HEADER_LEN + (3 * M + 7) / 8 + QCS_FRAME_CRC_LEN)
/* Workspace (qcs_sensor_workspace_size): y (4M), codes (2M, M even), the structured
 * operator's scratch (4N). */
#define WORKSPACE_BYTES (6 * M + SCRATCH_BYTES)

/* The first four MNIST test digits (../data/digits.bin, 784 bytes each), from digits.c. */
extern const uint8_t qcs_digits[DIGITS * 784];

static float x[N];
static uint32_t workspace[WORKSPACE_BYTES / 4];
static uint8_t frame[FRAME_CAP];

/* ---- semihosting (ARM DUI 0471): SYS_OPEN ":tt", SYS_WRITE, SYS_EXIT, as ../src/host.rs ---- */
static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* The host's stdout: ":tt" opened for writing (mode 4, "w"), as ../src/out.rs does. */
static int tt = -1;

static void put(const char *s) {
  size_t len = 0;
  while (s[len]) len++;
  if (tt < 0) {
    const uintptr_t open_args[3] = {(uintptr_t)":tt", 4, 3};
    tt = semihost(0x01, open_args);
  }
  /* SYS_WRITE returns the number of bytes not written. */
  while (len) {
    const uintptr_t write_args[3] = {(uintptr_t)tt, (uintptr_t)s, len};
    size_t left = (size_t)semihost(0x05, write_args);
    if (left > len) return;
    s += len - left;
    len = left;
  }
}

static void __attribute__((noreturn)) qemu_exit(int ok) {
  /* ADP_Stopped_ApplicationExit (QEMU exit 0) or ADP_Stopped_RunTimeErrorUnknown (exit 1). */
  semihost(0x18, (const void *)(uintptr_t)(ok ? 0x20026 : 0x20023));
  for (;;) {
  }
}

/* The `panic-handler` feature of libqcs_ffi.a calls abort(): report and fail. */
void abort(void) {
  put("PANIC in libqcs_ffi\n");
  qemu_exit(0);
}

static char *put_dec(char *p, uint32_t v) {
  char tmp[10];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *p++ = tmp[--n];
  return p;
}

static char *put_str(char *p, const char *s) {
  while (*s) *p++ = *s++;
  return p;
}

/* `FRAME i <hex>`: the line of ../src/out.rs (lower-case hex). */
static void frame_line(uint32_t index, const uint8_t *bytes, size_t len) {
  static const char hex[] = "0123456789abcdef";
  static char line[16 + 2 * FRAME_CAP + 2];
  char *p = put_dec(put_str(line, "FRAME "), index);
  *p++ = ' ';
  for (size_t i = 0; i < len; i++) {
    *p++ = hex[bytes[i] >> 4];
    *p++ = hex[bytes[i] & 15];
  }
  *p++ = '\n';
  *p = 0;
  put(line);
}

static void error_line(const char *what, uint32_t index, QcsStatus status) {
  char line[160];
  char *p = put_str(line, "ERROR job ");
  p = put_dec(p, index);
  p = put_str(p, ": ");
  p = put_str(p, what);
  p = put_str(p, ": ");
  p = put_str(p, qcs_status_message((int32_t)status));
  *p++ = '\n';
  *p = 0;
  put(line);
}

/* ---- peak stack by painting, as ../src/stack.rs: the 64 KiB below the top ---- */
#define PAINT 0xDEADC0DEu
#define PAINT_BYTES (64u * 1024u)
extern uint32_t _stack_top;

static void stack_line(void) {
  uint32_t *lo = (uint32_t *)((uintptr_t)&_stack_top - PAINT_BYTES);
  uint32_t *p = lo;
  while (p < &_stack_top && *p == PAINT) p++;
  char line[48];
  char *q = put_dec(put_str(line, "STACK peak="), (uint32_t)((uintptr_t)&_stack_top - (uintptr_t)p));
  *q++ = '\n';
  *q = 0;
  put(line);
}

int main(void) {
  static const uint32_t ops[2] = {QCS_OPERATOR_SEEDED, QCS_OPERATOR_STRUCTURED};
  static const uint32_t bits[2] = {1, 3};
  put("QCS-FW-C 1 target=thumbv7em-none-eabihf n=784 m=200\n");
  uint32_t index = 0;
  for (uint32_t digit = 0; digit < DIGITS; digit++) {
    for (uint32_t i = 0; i < N; i++) x[i] = (float)qcs_digits[digit * 784 + i % 784] / 255.0f;
    for (int o = 0; o < OPS; o++) {
      for (int b = 0; b < 2; b++, index++) {
        /* The sign quantizer is Q = 1 with Δ = 2, as UniformQuantizer::sign() stores it. */
        QcsSensorSettings s = {
            .n = N, .height = 28, .width = 28, .channels = 1, .m = M,
            .operator_kind = ops[o], .scaling = QCS_SCALING_PER_MEASUREMENT,
            .operator_seed = OP_SEED_BASE + index,
            .quantizer_kind = QCS_QUANTIZER_UNIFORM, .bits = bits[b],
            .delta = bits[b] == 1 ? 2.0f : DELTA_3BIT,
            .thresholds = NULL, .codewords = NULL,
            .sigma = SIGMA, .noise_seed = NOISE_SEED, .noise_stream = index, .counter = index,
        };
        size_t need = 0, len = 0;
        QcsStatus st = qcs_sensor_workspace_size(&s, &need);
        if (st == QCS_STATUS_OK && need > sizeof workspace) st = QCS_STATUS_BUFFER_TOO_SMALL;
        if (st != QCS_STATUS_OK) {
          error_line("workspace", index, st);
          return 1;
        }
        st = qcs_sensor_measure(&s, x, N, workspace, sizeof workspace, frame, sizeof frame, &len);
        if (st != QCS_STATUS_OK) {
          error_line("measure", index, st);
          return 1;
        }
        frame_line(index, frame, len);
      }
    }
  }
  stack_line();
  put(OPS == 2 ? "DONE ok frames=16\n" : "DONE ok frames=8\n");
  return 0;
}

/* ---- startup: vector table, .data/.bss, the FPU (hard-float code needs CP10/CP11) ---- */
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss;

void __attribute__((noreturn)) reset_handler(void) {
  volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
  *cpacr |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  for (uint32_t *s = &_sidata, *d = &_sdata; d < &_edata;) *d++ = *s++;
  for (uint32_t *d = &_sbss; d < &_ebss;) *d++ = 0;
  /* Paint the stack below this frame (reset_handler keeps nothing there). */
  uint32_t *sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t *d = (uint32_t *)((uintptr_t)&_stack_top - PAINT_BYTES); d < sp - 16;) *d++ = PAINT;
  qemu_exit(main() == 0);
}

static void __attribute__((noreturn)) fault_handler(void) {
  put("HARDFAULT\n");
  qemu_exit(0);
}

__attribute__((section(".vector_table"), used)) static const void *const vectors[16] = {
    &_stack_top, (const void *)reset_handler, (const void *)fault_handler,
    (const void *)fault_handler, (const void *)fault_handler, (const void *)fault_handler,
    (const void *)fault_handler,
};
