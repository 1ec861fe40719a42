/*
 * ws_host: loads a .wsm file, verifies it, runs it once and prints its outputs. An example of using the runtime
 * from an application (see CMakeLists.txt beside this file, and Runtime/README.md, "Using the runtime").
 *
 *   ws_host MODEL.wsm [INPUT.f32 ...]
 *
 * Each INPUT.f32 holds one sample of graph input i as raw float32 (little-endian); without them every input
 * element j is (j % 17) / 16. Prints the inputs and outputs with their shapes, then every output value with
 * %.9g (enough digits to give the same float32 back), and the index of each output's largest value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ws_runtime.h>

static void *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    void *buf = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)size + 1); /* malloc's alignment satisfies WS_ALIGNMENT */
        if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
            free(buf);
            buf = NULL;
        }
    }
    if (f) fclose(f);
    if (!buf) {
        fprintf(stderr, "ws_host: cannot read %s\n", path);
        exit(1);
    }
    *len = (size_t)size;
    return buf;
}

static void print_tensor(const char *role, uint32_t i, const ws_tensor_info *info) {
    uint32_t d;
    printf("%s %u '%s' [", role, (unsigned)i, info->name);
    for (d = 0; d < info->rank; d++) printf(d ? ", %u" : "%u", (unsigned)info->shape[d]);
    printf("]\n");
}

int main(int argc, char **argv) {
    ws_model model;
    ws_load_error error;
    ws_tensor_info info;
    size_t len;
    void *buf, *arena;
    uint32_t i, e, num_inputs, num_outputs;
    ws_status status;

    if (argc < 2) {
        fprintf(stderr, "usage: ws_host MODEL.wsm [INPUT.f32 ...]\n");
        return 2;
    }
    buf = read_file(argv[1], &len);
    status = ws_model_load_detailed(&model, buf, len, &error);
    if (status != WS_OK) {
        fprintf(stderr, "ws_host: %s is not a valid model: %s", argv[1], ws_status_string(status));
        if (error.op >= 0) fprintf(stderr, " at operator %d '%s'", (int)error.op, error.op_name ? error.op_name : "");
        if (error.tensor >= 0)
            fprintf(stderr, " at tensor %d '%s'", (int)error.tensor, error.tensor_name ? error.tensor_name : "");
        fprintf(stderr, "\n");
        free(buf);
        return 1;
    }
    num_inputs = ws_model_num_inputs(&model);
    num_outputs = ws_model_num_outputs(&model);
    if (argc != 2 && (uint32_t)(argc - 2) != num_inputs) {
        fprintf(stderr, "ws_host: the model has %u inputs; give one file per input or none\n", (unsigned)num_inputs);
        free(buf);
        return 2;
    }
    printf("model %s: %zu bytes, %u operators, arena %u bytes\n", argv[1], len,
           (unsigned)ws_model_num_operators(&model), (unsigned)ws_model_arena_bytes(&model));

    /* The arena: the only RAM inference needs. A firmware uses a static array of ws_model_arena_bytes(). */
    arena = malloc(ws_model_arena_bytes(&model) + 1u);
    if (!arena) {
        fprintf(stderr, "ws_host: no memory for the arena\n");
        free(buf);
        return 1;
    }
    for (i = 0; i < num_inputs; i++) {
        ws_tensor_id t = ws_model_input(&model, i);
        float *dst = ws_tensor_data(&model, t, arena);
        ws_model_tensor(&model, t, &info);
        print_tensor("input", i, &info);
        if (argc > 2) {
            size_t bytes;
            float *values = (float *)read_file(argv[2 + i], &bytes);
            if (bytes != (size_t)info.elements * sizeof(float)) {
                fprintf(stderr, "ws_host: %s has %zu bytes; input %u needs %u floats\n", argv[2 + i], bytes,
                        (unsigned)i, (unsigned)info.elements);
                return 2;
            }
            memcpy(dst, values, bytes);
            free(values);
        } else {
            for (e = 0; e < info.elements; e++) dst[e] = (float)(e % 17u) / 16.0f;
        }
    }
    status = ws_invoke(&model, arena, ws_model_arena_bytes(&model));
    if (status != WS_OK) {
        fprintf(stderr, "ws_host: ws_invoke: %s\n", ws_status_string(status));
        return 1;
    }
    for (i = 0; i < num_outputs; i++) {
        ws_tensor_id t = ws_model_output(&model, i);
        const float *y = ws_tensor_data(&model, t, arena);
        uint32_t best = 0;
        ws_model_tensor(&model, t, &info);
        print_tensor("output", i, &info);
        for (e = 0; e < info.elements; e++) {
            printf("%.9g\n", (double)y[e]);
            if (y[e] > y[best]) best = e;
        }
        printf("output %u argmax %u\n", (unsigned)i, (unsigned)best);
    }
    free(arena);
    free(buf);
    return 0;
}
