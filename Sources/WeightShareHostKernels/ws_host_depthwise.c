/* Depthwise Conv (one output channel per input channel) with its weights decoded once: direct loops over whole
 * output rows, built twice — for the baseline ISA and with AVX2 (chosen at run time) — since the rows are long and
 * contiguous at stride 1. Each output is the runtime's sum: taps by kernel row then column, from zero, then the
 * epilogue scale · acc + bias (taps over the padding are skipped where the runtime adds w · 0). */
#include "ws_host_internal.h"

static inline __attribute__((always_inline)) void plane(const ws_conv_params *p, const float *restrict x,
                                                         const float *restrict w, float *restrict y, float s,
                                                         float b) {
    uint32_t oy, ki, kj, ox;
    for (oy = 0; oy < p->oh; oy++) {
        float *restrict row = y + (size_t)oy * p->ow;
        for (ox = 0; ox < p->ow; ox++) row[ox] = 0.0f;
        for (ki = 0; ki < p->kh; ki++) {
            const int64_t iy = (int64_t)oy * p->sh + (int64_t)ki * p->dh - p->pt;
            if (iy < 0 || iy >= (int64_t)p->h) continue;
            for (kj = 0; kj < p->kw; kj++) {
                const float wv = w[ki * p->kw + kj];
                const int64_t off = (int64_t)kj * p->dw - p->pl;
                const float *restrict xr = x + (size_t)iy * p->w;
                uint32_t lo, hi;
                ws_host_valid_range(off, p->sw, p->w, p->ow, &lo, &hi);
                if (p->sw == 1u) {
                    const float *restrict xs = xr + off;
                    for (ox = lo; ox < hi; ox++) row[ox] += wv * xs[ox];
                } else {
                    for (ox = lo; ox < hi; ox++) row[ox] += wv * xr[(int64_t)ox * p->sw + off];
                }
            }
        }
        if (s != 1.0f || b != 0.0f)
            for (ox = 0; ox < p->ow; ox++) row[ox] = s * row[ox] + b;
    }
}

static void planes_baseline(const ws_conv_params *p, const float *x, const float *w, float *y) {
    const size_t in_plane = (size_t)p->h * p->w, out_plane = (size_t)p->oh * p->ow, taps = (size_t)p->kh * p->kw;
    uint32_t c;
    for (c = 0; c < p->c; c++)
        plane(p, x + c * in_plane, w + c * taps, y + c * out_plane, ws_conv_scale(p, c),
              ws_conv_bias(p, c));
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The same loops with 8-wide vectors; no FMA (a separate feature), so every product is rounded as above. */
__attribute__((target("avx2"))) static void planes_avx2(const ws_conv_params *p, const float *x, const float *w,
                                                        float *y) {
    const size_t in_plane = (size_t)p->h * p->w, out_plane = (size_t)p->oh * p->ow, taps = (size_t)p->kh * p->kw;
    uint32_t c;
    for (c = 0; c < p->c; c++)
        plane(p, x + c * in_plane, w + c * taps, y + c * out_plane, ws_conv_scale(p, c),
              ws_conv_bias(p, c));
}
#endif

void ws_host_depthwise(const ws_conv_params *p, const ws_host_image *images, uint32_t count, const float *w) {
    uint32_t i;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (__builtin_cpu_supports("avx2")) {
        for (i = 0; i < count; i++) planes_avx2(p, images[i].x, w, images[i].y);
        return;
    }
#endif
    for (i = 0; i < count; i++) planes_baseline(p, images[i].x, w, images[i].y);
}
