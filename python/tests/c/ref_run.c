/*
 * The C runtime on its own, for the Python tests' independent expectations (no Python binding involved).
 *
 *   ref_run MODEL.wsm                        verify only
 *   ref_run MODEL.wsm OUT.bin IN0.bin ...    run every sample: each INi.bin holds n samples of graph input i
 *                                            (float32, little-endian, back to back); OUT.bin gets, per sample,
 *                                            every graph output in order
 *
 * Prints "ok" or, when ws_model_load_detailed() refuses the file,
 * "status=S op=O tensor=T input=I op_name=N tensor_name=M" (names "-" when NULL) and exits 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_runtime.h"

static void *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    long size;
    void *buf;
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)size + 1); /* malloc's alignment >= WS_ALIGNMENT */
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

int main(int argc, char **argv) {
    ws_model model;
    ws_load_error error;
    size_t len, n = 0, s;
    void *buf, *arena;
    float *inputs[16];
    uint32_t i, num_inputs, num_outputs;
    ws_status status;
    FILE *out;
    if (argc < 2) {
        fprintf(stderr, "usage: ref_run MODEL.wsm [OUT.bin IN0.bin ...]\n");
        return 2;
    }
    buf = read_file(argv[1], &len);
    status = ws_model_load_detailed(&model, buf, len, &error);
    if (status != WS_OK) {
        printf("status=%d op=%d tensor=%d input=%d op_name=%s tensor_name=%s\n", (int)status, (int)error.op,
               (int)error.tensor, (int)error.input, error.op_name ? error.op_name : "-",
               error.tensor_name ? error.tensor_name : "-");
        free(buf);
        return 3;
    }
    if (argc == 2) {
        printf("ok\n");
        free(buf);
        return 0;
    }
    num_inputs = ws_model_num_inputs(&model);
    num_outputs = ws_model_num_outputs(&model);
    if ((uint32_t)argc != 3 + num_inputs || num_inputs > 16) {
        fprintf(stderr, "the model has %u inputs\n", (unsigned)num_inputs);
        return 2;
    }
    for (i = 0; i < num_inputs; i++) {
        ws_tensor_info info;
        size_t bytes;
        ws_model_tensor(&model, ws_model_input(&model, i), &info);
        inputs[i] = (float *)read_file(argv[3 + i], &bytes);
        if (i == 0) n = bytes / (info.elements * sizeof(float));
        if (bytes != n * info.elements * sizeof(float)) {
            fprintf(stderr, "%s does not hold %zu samples of %u floats\n", argv[3 + i], n, (unsigned)info.elements);
            return 2;
        }
    }
    arena = malloc(ws_model_arena_bytes(&model) + 1u);
    out = fopen(argv[2], "wb");
    if (!arena || !out) {
        fprintf(stderr, "cannot allocate the arena or open %s\n", argv[2]);
        return 2;
    }
    for (s = 0; s < n; s++) {
        for (i = 0; i < num_inputs; i++) {
            ws_tensor_info info;
            ws_model_tensor(&model, ws_model_input(&model, i), &info);
            memcpy(ws_tensor_data(&model, ws_model_input(&model, i), arena), inputs[i] + s * info.elements,
                   info.elements * sizeof(float));
        }
        status = ws_invoke(&model, arena, ws_model_arena_bytes(&model));
        if (status != WS_OK) {
            fprintf(stderr, "ws_invoke: %s\n", ws_status_string(status));
            return 4;
        }
        for (i = 0; i < num_outputs; i++) {
            ws_tensor_info info;
            ws_model_tensor(&model, ws_model_output(&model, i), &info);
            fwrite(ws_tensor_data(&model, ws_model_output(&model, i), arena), sizeof(float), info.elements, out);
        }
    }
    fclose(out);
    for (i = 0; i < num_inputs; i++) free(inputs[i]);
    free(arena);
    free(buf);
    printf("ok\n");
    return 0;
}
