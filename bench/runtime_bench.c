/*
 * Times the WeightShare C runtime on the host: loads a .wsm, runs every sample of a raw float32 file through
 * ws_invoke() `passes` times per run, `runs` runs, and prints one JSON object with the median per-sample latency.
 * The outputs of the first pass are written to `out.f32` (when given) so a caller can check them.
 *
 *   cc -O2 -std=c99 -IRuntime/include bench/runtime_bench.c Runtime/src/(every .c) -lm -o runtime_bench
 *   runtime_bench model.wsm inputs.f32 runs passes [out.f32]
 *   runtime_bench --info model.wsm          -> {"model": ..., "model_bytes": n, "arena_bytes": n} (bench/sizes.py)
 */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ws_runtime.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *aligned(size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, 64, (size + 63) / 64 * 64 + 64) != 0) return NULL;
    return p;
}

static void *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    long size;
    void *buf;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = aligned((size_t)size);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    ws_model model;
    ws_tensor_info in_info, out_info;
    size_t model_len = 0, input_len = 0;
    void *model_buf, *arena;
    float *inputs, *in, *out, *outputs;
    double *times;
    uint32_t samples, arena_bytes;
    int runs, passes, r, p;
    uint32_t s;
    ws_status status;
    double checksum = 0.0;

    if (argc == 3 && strcmp(argv[1], "--info") == 0) {
        model_buf = read_file(argv[2], &model_len);
        if (!model_buf) {
            fprintf(stderr, "cannot read %s\n", argv[2]);
            return 2;
        }
        status = ws_model_load(&model, model_buf, model_len);
        if (status != WS_OK) {
            fprintf(stderr, "%s: ws_model_load: %d %s\n", argv[2], (int)status, ws_status_string(status));
            return 1;
        }
        printf("{\"model\": \"%s\", \"model_bytes\": %lu, \"arena_bytes\": %lu}\n", argv[2], (unsigned long)model_len,
               (unsigned long)ws_model_arena_bytes(&model));
        free(model_buf);
        return 0;
    }
    if (argc < 5) {
        fprintf(stderr, "usage: %s model.wsm inputs.f32 runs passes [out.f32] | %s --info model.wsm\n", argv[0], argv[0]);
        return 2;
    }
    runs = atoi(argv[3]);
    passes = atoi(argv[4]);
    model_buf = read_file(argv[1], &model_len);
    inputs = (float *)read_file(argv[2], &input_len);
    if (!model_buf || !inputs || runs < 1 || passes < 1) {
        fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    status = ws_model_load(&model, model_buf, model_len);
    if (status != WS_OK) {
        fprintf(stderr, "ws_model_load: %d\n", (int)status);
        return 1;
    }
    ws_model_tensor(&model, ws_model_input(&model, 0), &in_info);
    ws_model_tensor(&model, ws_model_output(&model, 0), &out_info);
    samples = (uint32_t)(input_len / sizeof(float) / in_info.elements);
    arena_bytes = ws_model_arena_bytes(&model);
    arena = aligned(arena_bytes);
    memset(arena, 0, arena_bytes);
    in = ws_tensor_data(&model, ws_model_input(&model, 0), arena);
    out = ws_tensor_data(&model, ws_model_output(&model, 0), arena);
    outputs = (float *)malloc((size_t)samples * out_info.elements * sizeof(float));
    times = (double *)malloc((size_t)runs * sizeof(double));

    /* Warm-up pass; keeps the outputs. */
    for (s = 0; s < samples; s++) {
        memcpy(in, inputs + (size_t)s * in_info.elements, in_info.elements * sizeof(float));
        status = ws_invoke(&model, arena, arena_bytes);
        if (status != WS_OK) {
            fprintf(stderr, "ws_invoke: %d\n", (int)status);
            return 1;
        }
        memcpy(outputs + (size_t)s * out_info.elements, out, out_info.elements * sizeof(float));
    }
    for (r = 0; r < runs; r++) {
        double start = now_seconds();
        for (p = 0; p < passes; p++) {
            for (s = 0; s < samples; s++) {
                memcpy(in, inputs + (size_t)s * in_info.elements, in_info.elements * sizeof(float));
                ws_invoke(&model, arena, arena_bytes);
                checksum += out[0];
            }
        }
        times[r] = (now_seconds() - start) / ((double)passes * samples);
    }
    printf("{\"seconds_per_sample_runs\": [");
    for (r = 0; r < runs; r++) printf("%s%.9g", r ? ", " : "", times[r]);
    printf("], ");
    qsort(times, (size_t)runs, sizeof(double), compare_doubles);
    if (argc > 5) {
        FILE *f = fopen(argv[5], "wb");
        if (!f || fwrite(outputs, sizeof(float), (size_t)samples * out_info.elements, f) !=
                      (size_t)samples * out_info.elements) {
            fprintf(stderr, "cannot write %s\n", argv[5]);
            return 1;
        }
        fclose(f);
    }
    printf("\"model\": \"%s\", \"model_bytes\": %lu, \"arena_bytes\": %lu, \"samples\": %lu, \"runs\": %d, "
           "\"passes_per_run\": %d, \"median_seconds_per_sample\": %.9g, \"min_seconds_per_sample\": %.9g, "
           "\"max_seconds_per_sample\": %.9g, \"checksum\": %.6g}\n",
           argv[1], (unsigned long)model_len, (unsigned long)arena_bytes, (unsigned long)samples, runs, passes,
           times[runs / 2], times[0], times[runs - 1], checksum);
    free(times);
    free(outputs);
    free(arena);
    free(inputs);
    free(model_buf);
    return 0;
}
