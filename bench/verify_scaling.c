/*
 * Verification time against the operator count (bench/verify_scaling.sh). For each size n: the valid chain of
 * Runtime/tests/test_support.c's chain_model() (n operators, n + 1 activations), loaded with
 * ws_model_load_scratch() with WS_VERIFY_SCRATCH_BYTES(n + 1) bytes of scratch (linear) and without (the scan,
 * quadratic). Prints one JSON object: per size the median of the runs of each, and their ratio.
 *
 *   verify_scaling SCRATCH_RUNS SCAN_RUNS N1 [N2 ...]      (SCAN_RUNS 0: skip the scan)
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_support.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Median seconds of `runs` loads; exits unless each one succeeds. */
static double time_load(const uint8_t *file, size_t len, void *scratch, size_t bytes, int runs) {
    double t[64];
    int r;
    for (r = 0; r < runs; r++) {
        ws_model model;
        ws_load_error err;
        double t0 = now();
        ws_status s = ws_model_load_scratch(&model, file, len, &err, scratch, bytes);
        t[r] = now() - t0;
        if (s != WS_OK) {
            fprintf(stderr, "verify_scaling: load failed: %s (operator %d)\n", ws_status_string(s), (int)err.op);
            exit(1);
        }
    }
    return median(t, runs);
}

int main(int argc, char **argv) {
    int fast_runs, scan_runs, i;
    if (argc < 4) {
        fprintf(stderr, "usage: verify_scaling SCRATCH_RUNS SCAN_RUNS N1 [N2 ...]\n");
        return 2;
    }
    fast_runs = atoi(argv[1]);
    scan_runs = atoi(argv[2]);
    if (fast_runs < 1 || fast_runs > 64 || scan_runs < 0 || scan_runs > 64) {
        fprintf(stderr, "verify_scaling: runs must be 1..64 (scan 0..64)\n");
        return 2;
    }
    printf("{\n  \"scratch_runs\": %d,\n  \"scan_runs\": %d,\n  \"statistic\": \"median seconds of ws_model_load_scratch\",\n"
           "  \"sizes\": [",
           fast_runs, scan_runs);
    for (i = 3; i < argc; i++) {
        uint32_t n = (uint32_t)strtoul(argv[i], NULL, 10);
        size_t len, bytes = WS_VERIFY_SCRATCH_BYTES(n + 1u);
        uint8_t *file, *scratch;
        double fast, scan = 0;
        if (n < 4) {
            fprintf(stderr, "verify_scaling: sizes must be >= 4\n");
            return 2;
        }
        file = chain_model(n, CHAIN_VALID, &len);
        scratch = (uint8_t *)malloc(bytes);
        fast = time_load(file, len, scratch, bytes, fast_runs);
        if (scan_runs) scan = time_load(file, len, NULL, 0, scan_runs);
        printf("%s\n    {\"operators\": %u, \"tensors\": %u, \"file_bytes\": %zu, \"scratch_bytes\": %zu, "
               "\"with_scratch_s\": %.6f",
               i > 3 ? "," : "", (unsigned)n, (unsigned)n + 1u, len, bytes, fast);
        if (scan_runs) printf(", \"without_scratch_s\": %.6f, \"ratio\": %.1f", scan, scan / fast);
        printf("}");
        fflush(stdout);
        free(scratch);
        free_copy(file, 0);
    }
    printf("\n  ]\n}\n");
    return 0;
}
