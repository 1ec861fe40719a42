/* The batched kernels behind ws_host_run_operator (ws_host_plan.c dispatches to them). */
#ifndef WS_HOST_INTERNAL_H
#define WS_HOST_INTERNAL_H

#include "ws_host_kernels.h"
#include "ws_internal.h"

/* Positions [*lo, *hi) of the n_out along a dim whose o · s + off lies in [0, n_in): a Conv's output columns that
 * read the input, or (roles swapped) a ConvTranspose's input columns that land in the output. */
void ws_host_valid_range(int64_t off, uint32_t s, uint32_t n_in, uint32_t n_out, uint32_t *lo, uint32_t *hi);

/* One image of a batched Conv: its input (C×H×W) and output (M×OH×OW) planes. */
typedef struct {
    const float *x;
    float *y;
} ws_host_image;

/* Conv of `count` images (p->n is ignored: one image each), `batch` per product; work holds
 * batch · (K·P + M·P) floats (K = C/group·kh·kw, P = OH·OW). */
void ws_host_conv(const ws_conv_params *p, const ws_host_image *images, uint32_t count, const float *w,
                  uint32_t batch, float *work);

/* Depthwise Conv (p->group == p->c == p->m) of `count` images (p->n ignored), weights [c, 1, kh, kw] decoded. */
void ws_host_depthwise(const ws_conv_params *p, const ws_host_image *images, uint32_t count, const float *w);

/* ConvTranspose with one group of `count` images (p->n ignored), weights [c, m, kh, kw] decoded; work holds
 * m·kh·kw·h·w floats. */
void ws_host_conv_transpose(const ws_conv_params *p, const ws_host_image *images, uint32_t count, const float *w,
                            float *work);

/* Rows of one sample of a stacked product: A (rows × k, or k × rows when transposed) and Y (rows × n). */
typedef struct {
    const float *a;
    float *y;
} ws_host_rows;

/* Y = alpha · op(A) op(B) diag(S) + beta · C for each sample (p: one sample's m, n, k, flags, C, S), `batch`
 * samples stacked per product when A is not transposed; work holds batch · (m·k + m·n) floats. A MatMul by a 2-D
 * B is the same with alpha 1, no C and no S. */
void ws_host_gemm(const ws_gemm_params *p, const ws_host_rows *samples, uint32_t count, const float *b,
                  uint32_t batch, float *work);

/* MaxPool of `planes` planes (p: geometry, p->n ignored), as the runtime's ws_maxpool2d_f32 computes it; 0 when
 * its scratch could not be allocated. */
int ws_host_maxpool(const ws_conv_params *p, const float *x, float *y, uint32_t planes);

#endif /* WS_HOST_INTERNAL_H */
