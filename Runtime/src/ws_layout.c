/* Data movement: Concat (one input at a time), Transpose and Pad (constant, reflect, edge), rank <= 6. */
#include "ws_kernels.h"
#include "ws_schema.h"

void ws_concat_f32(const float *x, uint32_t outer, uint32_t chunk, uint32_t row, uint32_t offset, float *y) {
    uint32_t o, i;
    for (o = 0; o < outer; o++) {
        float *dst = y + (size_t)o * row + offset;
        for (i = 0; i < chunk; i++) dst[i] = x[i];
        x += chunk;
    }
}

void ws_transpose_f32(const float *x, const uint32_t *shape, uint32_t rank, const uint32_t *perm, float *y) {
    uint32_t in_stride[WS_MAX_RANK], out_shape[WS_MAX_RANK], stride[WS_MAX_RANK], idx[WS_MAX_RANK] = {0};
    uint32_t step = 1, total = 1, e, inner, s_in, off = 0, i;
    int d;
    if (rank == 0) {
        y[0] = x[0];
        return;
    }
    for (d = (int)rank - 1; d >= 0; d--) {
        in_stride[d] = step;
        step *= shape[d];
    }
    for (i = 0; i < rank; i++) {
        out_shape[i] = shape[perm[i]];
        stride[i] = in_stride[perm[i]]; /* input step for a step along output dim i */
        total *= out_shape[i];
    }
    inner = out_shape[rank - 1u];
    s_in = stride[rank - 1u];
    for (e = 0; e < total; e += inner) {
        for (i = 0; i < inner; i++) y[i] = x[off + i * s_in];
        y += inner;
        for (d = (int)rank - 2; d >= 0; d--) {
            off += stride[d];
            if (++idx[d] < out_shape[d]) break;
            off -= stride[d] * out_shape[d];
            idx[d] = 0;
        }
    }
}

/* Input index for output index o along a dim of size n with `begin` padding; -1 for a constant pad. */
static int32_t pad_source(int32_t o, uint32_t begin, uint32_t n, uint32_t mode) {
    int32_t i = o - (int32_t)begin, last = (int32_t)n - 1;
    if (i >= 0 && i <= last) return i;
    if (mode == WS_PAD_MODE_EDGE) return i < 0 ? 0 : last;
    if (mode == WS_PAD_MODE_REFLECT) return i < 0 ? -i : 2 * last - i; /* pads < n: one reflection suffices */
    return -1;
}

void ws_pad_f32(const float *x, const uint32_t *shape, uint32_t rank, const uint32_t *pads, uint32_t mode,
                float value, float *y) {
    uint32_t out_shape[WS_MAX_RANK], in_stride[WS_MAX_RANK], idx[WS_MAX_RANK] = {0};
    uint32_t rows = 1, r, i, step = 1, inner, begin, end, n;
    int d;
    if (rank == 0) {
        y[0] = x[0];
        return;
    }
    for (d = (int)rank - 1; d >= 0; d--) {
        in_stride[d] = step;
        step *= shape[d];
        out_shape[d] = shape[d] + pads[d] + pads[rank + (uint32_t)d];
    }
    for (i = 0; i + 1u < rank; i++) rows *= out_shape[i];
    inner = out_shape[rank - 1u];
    n = shape[rank - 1u];
    begin = pads[rank - 1u];
    end = pads[2u * rank - 1u];
    for (r = 0; r < rows; r++) {
        /* Source row from the outer coordinates; a constant pad anywhere makes the whole row constant. */
        uint32_t src = 0;
        int constant = 0;
        for (i = 0; i + 1u < rank; i++) {
            int32_t s = pad_source((int32_t)idx[i], pads[i], shape[i], mode);
            if (s < 0) constant = 1;
            else src += (uint32_t)s * in_stride[i];
        }
        if (constant) {
            for (i = 0; i < inner; i++) y[i] = value;
        } else {
            const float *xr = x + src;
            for (i = 0; i < begin; i++) {
                int32_t s = pad_source((int32_t)i, begin, n, mode);
                y[i] = s < 0 ? value : xr[s];
            }
            for (i = 0; i < n; i++) y[begin + i] = xr[i];
            for (i = 0; i < end; i++) {
                int32_t s = pad_source((int32_t)(begin + n + i), begin, n, mode);
                y[begin + n + i] = s < 0 ? value : xr[s];
            }
        }
        y += inner;
        for (d = (int)rank - 2; d >= 0; d--) {
            if (++idx[d] < out_shape[d]) break;
            idx[d] = 0;
        }
    }
}
