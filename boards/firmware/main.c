/*
 * WeightShare firmware template: loads the model linked into the board's model region, runs every embedded
 * test input, prints each output (printf: over semihosting, or with `make IO=uart` through board_write() to a
 * UART, see board_io.h) and compares it with the host runtime's output embedded at build time.
 *
 * Exit status: 0 all samples agree (same top-1, and every output within WS_TOLERANCE_ABS + WS_TOLERANCE_REL times
 * the sample's largest |expected output|: the test of `wsc run`, see FirmwareComparison.swift); 1 mismatch;
 * 2 the model failed to load or run; 3 a CPU fault (startup.c).
 *
 * Output lines (parsed by `wsc run`; floats as their IEEE-754 bit patterns, so nothing is lost):
 *   ws-firmware <board> model=<bytes> arena=<bytes> timing=systick|dwt
 *   sample <i> ticks=<n> top1=<k> expected=<k> out=<hex>,<hex>,...
 *   sample <i> cycles=<n> top1=<k> ...              (make TIMING=dwt: DWT cycles per inference, real boards)
 *   ops <k> ticks=<n> | ops <k> cycles=<n>          (make TIME_OPS=1, k = 0 .. all operators: the first k
 *                                                    operators on sample 0's inputs, ws_invoke_partial; operator
 *                                                    k costs line k+1 minus line k, line 0 is the call's overhead)
 *   result ok|mismatch samples=<n> mismatches=<n>
 *   exit <status>                                   (IO=uart only: the exit status, from syscalls_uart.c)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model_data.h"
#include "test_data.h"
#include "ws_runtime.h"

/* test_data.h (written by wsc run) defines both; these defaults are the same. */
#ifndef WS_TOLERANCE_ABS
#define WS_TOLERANCE_ABS 1e-5f
#endif
#ifndef WS_TOLERANCE_REL
#define WS_TOLERANCE_REL 1e-5f
#endif

extern void ws_ticks_start(void);
extern uint64_t ws_ticks(void);

/* What ws_ticks() counts (startup.c): DWT core cycles (TIMING=dwt) or SysTick ticks. */
#if defined(WS_TIMING_DWT)
#define WS_TIME_FIELD "cycles"
#define WS_TIMING_NAME "dwt"
#else
#define WS_TIME_FIELD "ticks"
#define WS_TIMING_NAME "systick"
#endif

/* model_data.h (written by wsc compile / wsc run) states the model's facts: the arena, the inputs and outputs. */
#if WS_TEST_INPUT_FLOATS != WS_MODEL_INPUTS_TOTAL_ELEMENTS || WS_TEST_OUTPUT_FLOATS != WS_MODEL_OUTPUTS_TOTAL_ELEMENTS
#error "test_data.h was written for another model than model_data.h"
#endif

static float arena[(WS_MODEL_ARENA_BYTES + 3u) / 4u + 1u] __attribute__((aligned(16)));

/* Free-running (wsc run --feedback): on every sample after the first, graph input ws_feedback_input[p] takes the
 * values graph output ws_feedback_output[p] had after the sample before, as a recurrent model runs when deployed.
 * The outputs are copied out of the arena first: the next inputs may be planned over them. */
#ifndef WS_FEEDBACK_PAIRS
#define WS_FEEDBACK_PAIRS 0u
#endif
#if WS_FEEDBACK_PAIRS
static float feedback_state[WS_FEEDBACK_FLOATS];

/* Copies the fed-back outputs into feedback_state (`restore` 0, after a sample), or feedback_state into their
 * inputs (`restore` 1, before the next); 0 when a pair's tensor does not fit the buffer. */
static int feedback_copy(const ws_model *model, int restore) {
    uint32_t p, offset = 0;
    for (p = 0; p < WS_FEEDBACK_PAIRS; p++) {
        ws_tensor_info info;
        ws_tensor_id id = restore ? ws_model_input(model, ws_feedback_input[p])
                                  : ws_model_output(model, ws_feedback_output[p]);
        float *data = ws_tensor_data(model, id, arena);
        if (ws_model_tensor(model, id, &info) != WS_OK || !data || offset + info.elements > WS_FEEDBACK_FLOATS) {
            printf("error feedback %s %lu\n", restore ? "input" : "output", (unsigned long)p);
            return 0;
        }
        if (restore) memcpy(data, feedback_state + offset, info.elements * sizeof(float));
        else memcpy(feedback_state + offset, data, info.elements * sizeof(float));
        offset += info.elements;
    }
    return 1;
}
#endif

static float bits_to_float(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint32_t float_to_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

/* newlib-nano's printf has no %llu. */
static const char *u64_text(uint64_t v, char buf[21]) {
    char *p = buf + 20;
    *p = 0;
    do {
        *--p = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    return p;
}

/* Copies sample `sample`'s values into the model's inputs; the number of floats copied. */
static uint32_t set_inputs(const ws_model *model, uint32_t sample) {
    const uint32_t *in = ws_test_inputs + (size_t)sample * WS_TEST_INPUT_FLOATS;
    uint32_t n = 0, t, i;
    for (t = 0; t < ws_model_num_inputs(model); t++) {
        ws_tensor_info info;
        float *dst = ws_tensor_data(model, ws_model_input(model, t), arena);
        ws_model_tensor(model, ws_model_input(model, t), &info);
        for (i = 0; i < info.elements && n < WS_TEST_INPUT_FLOATS; i++) dst[i] = bits_to_float(in[n++]);
    }
    return n;
}

#if defined(WS_TIME_OPS)
/* Per-operator time: the first k operators of sample 0, for k = 0 .. all, each from fresh inputs. Operator k
 * costs the difference of lines k+1 and k (the fixed cost of a call, line 0, cancels out). */
static int time_operators(const ws_model *model) {
    uint32_t k, ops = ws_model_num_operators(model);
    char digits[21];
    for (k = 0; k <= ops; k++) {
        uint64_t start, elapsed;
        ws_status status;
        (void)set_inputs(model, 0);
        start = ws_ticks();
        status = ws_invoke_partial(model, arena, sizeof arena, k);
        elapsed = ws_ticks() - start;
        if (status != WS_OK) {
            printf("error invoke %d %s\n", (int)status, ws_status_string(status));
            return 2;
        }
        printf("ops %lu " WS_TIME_FIELD "=%s\n", (unsigned long)k, u64_text(elapsed, digits));
    }
    return 0;
}
#endif

static uint32_t argmax_bits(const uint32_t *bits, uint32_t n) {
    uint32_t best = 0, i;
    for (i = 1; i < n; i++)
        if (bits_to_float(bits[i]) > bits_to_float(bits[best])) best = i;
    return best;
}

int main(void) {
    ws_model model;
    ws_load_error where;
    uint32_t sample, i, t, mismatches = 0;
    ws_status status = ws_model_load_detailed(&model, ws_model_data, (size_t)ws_model_data_len, &where);
    printf("ws-firmware %s model=%lu arena=%lu timing=" WS_TIMING_NAME "\n", WS_BOARD_NAME,
           (unsigned long)ws_model_data_len, (unsigned long)(status == WS_OK ? ws_model_arena_bytes(&model) : 0u));
    if (status != WS_OK) {
        printf("error load %d %s (operator %ld, tensor %ld, input %ld)\n", (int)status, ws_status_string(status),
               (long)where.op, (long)where.tensor, (long)where.input);
        return 2;
    }
    if (ws_model_arena_bytes(&model) > sizeof arena) {
        printf("error arena %lu > %lu\n", (unsigned long)ws_model_arena_bytes(&model), (unsigned long)sizeof arena);
        return 2;
    }
    ws_ticks_start();
    for (sample = 0; sample < WS_TEST_SAMPLES; sample++) {
        const uint32_t *expected = ws_test_expected + (size_t)sample * WS_TEST_OUTPUT_FLOATS;
        uint32_t got[WS_TEST_OUTPUT_FLOATS];
        uint32_t n = set_inputs(&model, sample), top1, expected_top1, bad = 0;
        float scale, tolerance;
        uint64_t start, ticks;
        char digits[21];
        if (n != WS_TEST_INPUT_FLOATS) {
            printf("error input size %lu != %lu\n", (unsigned long)n, (unsigned long)WS_TEST_INPUT_FLOATS);
            return 2;
        }
#if WS_FEEDBACK_PAIRS
        if (sample > 0 && !feedback_copy(&model, 1)) return 2;
#endif
        start = ws_ticks();
        status = ws_invoke(&model, arena, sizeof arena);
        ticks = ws_ticks() - start;
        if (status != WS_OK) {
            printf("error invoke %d %s\n", (int)status, ws_status_string(status));
            return 2;
        }
        n = 0;
        for (t = 0; t < ws_model_num_outputs(&model); t++) {
            ws_tensor_info info;
            const float *src = ws_tensor_data(&model, ws_model_output(&model, t), arena);
            ws_model_tensor(&model, ws_model_output(&model, t), &info);
            for (i = 0; i < info.elements && n < WS_TEST_OUTPUT_FLOATS; i++) got[n++] = float_to_bits(src[i]);
        }
        if (n != WS_TEST_OUTPUT_FLOATS) {
            printf("error output size %lu != %lu\n", (unsigned long)n, (unsigned long)WS_TEST_OUTPUT_FLOATS);
            return 2;
        }
#if WS_FEEDBACK_PAIRS
        if (!feedback_copy(&model, 0)) return 2;
#endif
        top1 = argmax_bits(got, n);
        expected_top1 = argmax_bits(expected, n);
        scale = 0.0f;
        for (i = 0; i < n; i++) {
            float e = bits_to_float(expected[i]);
            if (e < 0) e = -e;
            if (e > scale && e - e == 0.0f) scale = e; /* finite values only */
        }
        tolerance = WS_TOLERANCE_ABS + WS_TOLERANCE_REL * scale;
        for (i = 0; i < n; i++) {
            float g = bits_to_float(got[i]), e = bits_to_float(expected[i]), d = g - e;
            if (d < 0) d = -d;
            if (!(g == e || d <= tolerance)) bad = 1; /* also catches NaN */
        }
        if (top1 != expected_top1) bad = 1;
        mismatches += bad;
        printf("sample %lu " WS_TIME_FIELD "=%s top1=%lu expected=%lu%s out=", (unsigned long)sample, u64_text(ticks, digits), (unsigned long)top1, (unsigned long)expected_top1, bad ? " MISMATCH" : "");
        for (i = 0; i < n; i++) printf(i ? ",%08lx" : "%08lx", (unsigned long)got[i]);
        printf("\n");
    }
#if defined(WS_TIME_OPS)
    if (time_operators(&model) != 0) return 2;
#endif
    printf("result %s samples=%lu mismatches=%lu\n", mismatches ? "mismatch" : "ok", (unsigned long)WS_TEST_SAMPLES,
           (unsigned long)mismatches);
    return mismatches ? 1 : 0;
}
