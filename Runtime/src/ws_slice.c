/* Copies that pick elements by index: Slice (a strided box), Gather (entries of one dim), Tile (repeats; also
 * Expand). Rank <= 6; shapes as the verifier accepted them (ws_verify_graph.c). */
#include "ws_kernels.h"

void ws_slice_f32(const float *x, const uint32_t *shape, uint32_t rank, const uint32_t *starts, const int32_t *steps,
                  const uint32_t *out_shape, float *y) {
    int32_t step[WS_MAX_RANK];
    uint32_t idx[WS_MAX_RANK] = {0};
    uint32_t in_stride = 1, rows = 1, inner, i, r;
    int32_t off = 0, s_in;
    int d;
    if (rank == 0) {
        y[0] = x[0];
        return;
    }
    for (d = (int)rank - 1; d >= 0; d--) {
        /* A dim of one output element takes no step, so every product stays below X's element count. */
        step[d] = out_shape[d] > 1u ? steps[d] * (int32_t)in_stride : 0;
        off += (int32_t)(starts[d] * in_stride);
        in_stride *= shape[d];
    }
    for (i = 0; i + 1u < rank; i++) rows *= out_shape[i];
    inner = out_shape[rank - 1u];
    s_in = step[rank - 1u];
    for (r = 0; r < rows; r++) {
        const float *xr = x + off;
        int32_t e = 0;
        for (i = 0; i < inner; i++, e += s_in) y[i] = xr[e];
        y += inner;
        for (d = (int)rank - 2; d >= 0; d--) {
            off += step[d];
            if (++idx[d] < out_shape[d]) break;
            off -= step[d] * (int32_t)out_shape[d];
            idx[d] = 0;
        }
    }
}

void ws_gather_f32(const float *x, uint32_t outer, uint32_t n, uint32_t inner, const uint32_t *indices,
                   uint32_t count, float *y) {
    uint32_t o, j, e;
    for (o = 0; o < outer; o++, x += (size_t)n * inner) {
        for (j = 0; j < count; j++, y += inner) {
            const float *src = x + (size_t)indices[j] * inner;
            for (e = 0; e < inner; e++) y[e] = src[e];
        }
    }
}

void ws_tile_f32(const float *x, const uint32_t *x_shape, const uint32_t *shape, uint32_t rank, float *y) {
    uint32_t in_stride[WS_MAX_RANK], idx[WS_MAX_RANK] = {0}, src[WS_MAX_RANK] = {0};
    uint32_t step = 1, rows = 1, off = 0, inner, n, i, r;
    int d;
    if (rank == 0) {
        y[0] = x[0];
        return;
    }
    for (d = (int)rank - 1; d >= 0; d--) {
        in_stride[d] = step;
        step *= x_shape[d];
    }
    for (i = 0; i + 1u < rank; i++) rows *= shape[i];
    inner = shape[rank - 1u];
    n = x_shape[rank - 1u];
    for (r = 0; r < rows; r++) {
        /* The source row repeats along the innermost dim. */
        const float *xr = x + off;
        uint32_t k = 0;
        for (i = 0; i < inner; i++) {
            y[i] = xr[k];
            if (++k == n) k = 0;
        }
        y += inner;
        /* Odometer over Y's outer dims; src[d] = idx[d] mod x_shape[d], kept without division. */
        for (d = (int)rank - 2; d >= 0; d--) {
            if (++src[d] == x_shape[d]) {
                src[d] = 0;
                off -= in_stride[d] * (x_shape[d] - 1u);
            } else {
                off += in_stride[d];
            }
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
            off -= in_stride[d] * src[d];
            src[d] = 0;
        }
    }
}
