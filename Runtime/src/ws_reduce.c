/* Reductions: ws_reduce_f32 (the Reduce row: ReduceMean, ReduceSum, ReduceMax, ...) and ws_layer_norm_f32. */
#include <math.h>

#include "ws_kernels.h"
#include "ws_schema.h"

/* A box of dims with their strides in x, walked in row-major order. */
typedef struct {
    uint32_t n;
    uint32_t dim[WS_MAX_RANK];
    uint32_t stride[WS_MAX_RANK];
} ws_box;

/* Advances the odometer `idx` over box b and the offset *off with it; 0 once the box is done. */
static int box_step(const ws_box *b, uint32_t *idx, uint32_t *off) {
    uint32_t d = b->n;
    while (d-- > 0) {
        if (++idx[d] < b->dim[d]) {
            *off += b->stride[d];
            return 1;
        }
        *off -= (b->dim[d] - 1u) * b->stride[d];
        idx[d] = 0;
    }
    return 0;
}

/* Folds the sub-box r of x (starting at x[0]) with `mode`; LogSumExp sums exp(v - shift). The mode is chosen once,
 * outside the walk. Max and Min propagate NaN wherever it stands (as the Min/Max rows and NumPy do). */
#define WS_FOLD(statement)                        \
    do {                                          \
        const float v = x[off];                   \
        statement;                                \
    } while (box_step(r, idx, &off))

static float box_fold(const float *x, const ws_box *r, uint32_t mode, float shift) {
    uint32_t idx[WS_MAX_RANK] = {0}, off = 0;
    float acc = mode == WS_REDUCE_MODE_PROD ? 1.0f : 0.0f;
    switch (mode) {
    case WS_REDUCE_MODE_MAXIMUM:
        acc = x[0];
        WS_FOLD(if (v != v || v > acc) acc = v);
        break;
    case WS_REDUCE_MODE_MINIMUM:
        acc = x[0];
        WS_FOLD(if (v != v || v < acc) acc = v);
        break;
    case WS_REDUCE_MODE_PROD:
        WS_FOLD(acc *= v);
        break;
    case WS_REDUCE_MODE_L1:
        WS_FOLD(acc += fabsf(v));
        break;
    case WS_REDUCE_MODE_L2:
    case WS_REDUCE_MODE_SUM_SQUARE:
        WS_FOLD(acc += v * v);
        break;
    case WS_REDUCE_MODE_LOG_SUM_EXP:
        WS_FOLD(acc += expf(v - shift));
        break;
    default: /* Mean, Sum, LogSum */
        WS_FOLD(acc += v);
        break;
    }
    return acc;
}
#undef WS_FOLD

void ws_reduce_f32(const float *x, const uint32_t *shape, uint32_t rank, const uint32_t *axes, uint32_t n_axes,
                   uint32_t mode, float *y) {
    ws_box kept, red;
    uint32_t stride[WS_MAX_RANK], flag[WS_MAX_RANK], dim[WS_MAX_RANK], st[WS_MAX_RANK];
    uint32_t i, n = 0, a = 0, count = 1, idx[WS_MAX_RANK] = {0}, off = 0;
    float *out = y;
    kept.n = red.n = 0;
    for (i = rank; i-- > 0;) stride[i] = i + 1u < rank ? stride[i + 1u] * shape[i + 1u] : 1u;
    /* Dims of size 1 are left out; neighbours of the same kind (kept or reduced) merge into one dim. */
    for (i = 0; i < rank; i++) {
        const uint32_t reduced = a < n_axes && axes[a] == i;
        if (reduced) {
            a++;
            count *= shape[i];
        }
        if (shape[i] == 1u) continue;
        if (n > 0 && flag[n - 1u] == reduced) {
            dim[n - 1u] *= shape[i];
            st[n - 1u] = stride[i];
        } else {
            flag[n] = reduced;
            dim[n] = shape[i];
            st[n] = stride[i];
            n++;
        }
    }
    for (i = 0; i < n; i++) {
        ws_box *b = flag[i] ? &red : &kept;
        b->dim[b->n] = dim[i];
        b->stride[b->n] = st[i];
        b->n++;
    }
    do {
        const float *sub = x + off;
        float shift = 0.0f, v;
        if (mode == WS_REDUCE_MODE_LOG_SUM_EXP) shift = box_fold(sub, &red, WS_REDUCE_MODE_MAXIMUM, 0.0f);
        v = box_fold(sub, &red, mode, shift);
        switch (mode) {
        case WS_REDUCE_MODE_MEAN:
            v /= (float)count;
            break;
        case WS_REDUCE_MODE_L2:
            v = sqrtf(v);
            break;
        case WS_REDUCE_MODE_LOG_SUM:
            v = logf(v);
            break;
        case WS_REDUCE_MODE_LOG_SUM_EXP:
            v = shift + logf(v);
            break;
        default:
            break;
        }
        *out++ = v;
    } while (box_step(&kept, idx, &off));
}

void ws_layer_norm_f32(const float *x, const float *scale, const float *bias, float *y, uint32_t outer, uint32_t n,
                       float epsilon) {
    uint32_t o, j;
    for (o = 0; o < outer; o++) {
        const float *row = x + o * n;
        float *out = y + o * n;
        float mean = 0.0f, var = 0.0f, inv;
        for (j = 0; j < n; j++) mean += row[j];
        mean /= (float)n;
        for (j = 0; j < n; j++) {
            const float d = row[j] - mean;
            var += d * d;
        }
        inv = 1.0f / sqrtf(var / (float)n + epsilon);
        /* Element j is read before it is written, so y == x works. */
        for (j = 0; j < n; j++) out[j] = (row[j] - mean) * inv * scale[j] + (bias ? bias[j] : 0.0f);
    }
}
