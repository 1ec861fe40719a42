/* Numerically stable softmax and log-softmax: subtracting the line's maximum keeps expf() in range. */
#include <math.h>

#include "ws_kernels.h"

void ws_softmax_f32(const float *x, float *y, uint32_t outer, uint32_t n, uint32_t inner, int log_softmax) {
    uint32_t o, i, j;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const uint32_t base = o * n * inner + i;
            float max = x[base], sum = 0.0f, scale;
            for (j = 1; j < n; j++)
                if (x[base + j * inner] > max) max = x[base + j * inner];
            if (log_softmax) {
                /* (x - max) - log(sum exp(x - max)), in that order so that large x keep their precision; x is
                   read in full before it is written. */
                for (j = 0; j < n; j++) sum += expf(x[base + j * inner] - max);
                sum = logf(sum);
                for (j = 0; j < n; j++) y[base + j * inner] = (x[base + j * inner] - max) - sum;
                continue;
            }
            /* Each element is read before it is written, so y == x works. */
            for (j = 0; j < n; j++) {
                float e = expf(x[base + j * inner] - max);
                y[base + j * inner] = e;
                sum += e;
            }
            scale = 1.0f / sum;
            for (j = 0; j < n; j++) y[base + j * inner] *= scale;
        }
    }
}
