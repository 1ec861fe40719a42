/*
 * Recurrent layers: ONNX LSTM, GRU and RNN with their default activations (sigmoid and tanh), forward, reverse or
 * bidirectional, batch-major or sequence-major (layout 1 or 0). The weights W and R may be shared: each step reads
 * them once, in storage order (one batch item through the dense layers' decode paths, more through a sequential
 * operand reader), so they stay compressed and every index is decoded once per step. The running state lives in
 * the outputs Y_h (and Y_c), the gate pre-activations in the workspace output that the compiler plans in the arena:
 * no heap, no stack arrays that grow with the model.
 */
#include <math.h>
#include <string.h>

#include "ws_kernels.h"

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Element offsets of x_t for batch item 0 and between batch items; of a state (direction d, batch item 0) and
 * between batch items; of y_t (direction d, batch item 0). */
static uint32_t x_at(const ws_recurrent_params *p, uint32_t t) {
    return (p->layout ? t : t * p->batch) * p->input;
}
static uint32_t x_step(const ws_recurrent_params *p) { return (p->layout ? p->seq : 1u) * p->input; }
static uint32_t state_at(const ws_recurrent_params *p, uint32_t d) {
    return (p->layout ? d : d * p->batch) * p->hidden;
}
static uint32_t state_step(const ws_recurrent_params *p) { return (p->layout ? p->directions : 1u) * p->hidden; }
static uint32_t y_at(const ws_recurrent_params *p, uint32_t t, uint32_t d) {
    return (p->layout ? t * p->directions + d : (t * p->directions + d) * p->batch) * p->hidden;
}
static uint32_t y_step(const ws_recurrent_params *p) {
    return (p->layout ? p->seq * p->directions : 1u) * p->hidden;
}

/* acc[b·acc_step + j] += Σ_k M[j, k] · v[b·v_step + k] for j < rows, b < batch: the next `rows` rows of a matrix of
 * `depth` columns, from element *at of operand m (advanced past them). One batch item takes the dense layers'
 * decode paths (ws_dense_rows); more read each weight once through a sequential reader and apply it to every item. */
static void add_rows(const ws_operand *m, uint32_t *at, uint32_t rows, uint32_t depth, const float *v,
                     uint32_t v_step, uint32_t batch, float *acc, uint32_t acc_step) {
    ws_operand_reader reader;
    uint32_t j, k, b;
    if (batch == 1u) {
        ws_dense_rows(v, m, *at, depth, rows, acc);
    } else {
        ws_operand_reader_start(&reader, m, *at);
        for (j = 0; j < rows; j++)
            for (k = 0; k < depth; k++) {
                const float w = ws_operand_next(&reader);
                for (b = 0; b < batch; b++) acc[b * acc_step + j] += w * v[b * v_step + k];
            }
    }
    *at += rows * depth;
}

/* acc[b·acc_step + j] = bias[j] (+ bias2[j]) for j < n (zeros when bias is NULL). */
static void set_bias(float *acc, uint32_t acc_step, uint32_t batch, uint32_t n, const float *bias,
                     const float *bias2) {
    uint32_t b, j;
    for (b = 0; b < batch; b++, acc += acc_step) { /* the cases outside the loops: -Os kept them per element */
        if (!bias)
            for (j = 0; j < n; j++) acc[j] = 0.0f;
        else if (!bias2)
            for (j = 0; j < n; j++) acc[j] = bias[j];
        else
            for (j = 0; j < n; j++) acc[j] = bias[j] + bias2[j];
    }
}

/* The state of direction d (h, or c) from the initial value, or zeros. */
static void init_state(const ws_recurrent_params *p, uint32_t d, const float *init, float *state) {
    uint32_t b, j;
    const uint32_t at = state_at(p, d), step = state_step(p);
    for (b = 0; b < p->batch; b++)
        for (j = 0; j < p->hidden; j++) state[at + b * step + j] = init ? init[at + b * step + j] : 0.0f;
}

static void lstm_step(const ws_recurrent_params *p, uint32_t d, uint32_t t, const ws_operand *w, uint32_t *w_at,
                      const ws_operand *r, uint32_t *r_at) {
    const uint32_t H = p->hidden, G = 4u * H, hs = state_step(p);
    const float *bias = p->b ? p->b + d * 2u * G : NULL;
    const float *peep = p->p ? p->p + d * 3u * H : NULL;
    float *h = p->y_h + state_at(p, d), *c = p->y_c + state_at(p, d), *g = p->work;
    uint32_t b, j;
    set_bias(g, G, p->batch, G, bias, bias ? bias + G : NULL);
    add_rows(w, w_at, G, p->input, p->x + x_at(p, t), x_step(p), p->batch, g, G);
    add_rows(r, r_at, G, H, h, hs, p->batch, g, G);
    for (b = 0; b < p->batch; b++) {
        float *gb = g + b * G, *hb = h + b * hs, *cb = c + b * hs;
        for (j = 0; j < H; j++) {
            const float c_prev = cb[j];
            const float i = sigmoid(gb[j] + (peep ? peep[j] * c_prev : 0.0f));
            const float f = sigmoid(gb[2u * H + j] + (peep ? peep[2u * H + j] * c_prev : 0.0f));
            const float c_new = f * c_prev + i * tanhf(gb[3u * H + j]);
            const float o = sigmoid(gb[H + j] + (peep ? peep[H + j] * c_new : 0.0f));
            cb[j] = c_new;
            hb[j] = o * tanhf(c_new); /* every gate already read the old h */
        }
    }
}

static void gru_step(const ws_recurrent_params *p, uint32_t d, uint32_t t, const ws_operand *w, uint32_t *w_at,
                     const ws_operand *r, uint32_t *r_at) {
    const uint32_t H = p->hidden, G = 3u * H, K = 7u * H, hs = state_step(p);
    const float *bias = p->b ? p->b + d * 2u * G : NULL;
    float *h = p->y_h + state_at(p, d);
    float *gx = p->work, *gh = p->work + G, *rh = p->work + 2u * G; /* per batch item: [gx 3H | gh 3H | r⊙h H] */
    uint32_t b, j;
    set_bias(gx, K, p->batch, G, bias, NULL);
    set_bias(gh, K, p->batch, G, bias ? bias + G : NULL, NULL);
    add_rows(w, w_at, G, p->input, p->x + x_at(p, t), x_step(p), p->batch, gx, K);
    if (p->linear_before_reset) {
        add_rows(r, r_at, G, H, h, hs, p->batch, gh, K); /* r ⊙ (Rh·h + Rbh) below */
    } else {
        add_rows(r, r_at, 2u * H, H, h, hs, p->batch, gh, K); /* z and r first: the h gate reads r ⊙ h */
        for (b = 0; b < p->batch; b++)
            for (j = 0; j < H; j++) rh[b * K + j] = sigmoid(gx[b * K + H + j] + gh[b * K + H + j]) * h[b * hs + j];
        add_rows(r, r_at, H, H, rh, K, p->batch, gh + 2u * H, K);
    }
    for (b = 0; b < p->batch; b++) {
        const float *xb = gx + b * K, *hb_g = gh + b * K;
        float *hb = h + b * hs;
        for (j = 0; j < H; j++) {
            const float z = sigmoid(xb[j] + hb_g[j]);
            const float rg = sigmoid(xb[H + j] + hb_g[H + j]);
            const float n = tanhf(xb[2u * H + j] + (p->linear_before_reset ? rg * hb_g[2u * H + j] : hb_g[2u * H + j]));
            hb[j] = (1.0f - z) * n + z * hb[j];
        }
    }
}

static void rnn_step(const ws_recurrent_params *p, uint32_t d, uint32_t t, const ws_operand *w, uint32_t *w_at,
                     const ws_operand *r, uint32_t *r_at) {
    const uint32_t H = p->hidden, hs = state_step(p);
    const float *bias = p->b ? p->b + d * 2u * H : NULL;
    float *h = p->y_h + state_at(p, d), *g = p->work;
    uint32_t b, j;
    set_bias(g, H, p->batch, H, bias, bias ? bias + H : NULL);
    add_rows(w, w_at, H, p->input, p->x + x_at(p, t), x_step(p), p->batch, g, H);
    add_rows(r, r_at, H, H, h, hs, p->batch, g, H);
    for (b = 0; b < p->batch; b++)
        for (j = 0; j < H; j++) h[b * hs + j] = tanhf(g[b * H + j]);
}

void ws_recurrent_f32(const ws_recurrent_params *p, const ws_operand *w, const ws_operand *r) {
    const uint32_t gates = p->cell == WS_CELL_LSTM ? 4u : p->cell == WS_CELL_GRU ? 3u : 1u;
    const uint32_t rows = gates * p->hidden;
    uint32_t d, s, b;
    for (d = 0; d < p->directions; d++) {
        const int backwards = d == 1u || p->reverse;
        init_state(p, d, p->h0, p->y_h);
        if (p->cell == WS_CELL_LSTM) init_state(p, d, p->c0, p->y_c);
        for (s = 0; s < p->seq; s++) {
            const uint32_t t = backwards ? p->seq - 1u - s : s;
            uint32_t w_at = d * rows * p->input, r_at = d * rows * p->hidden;
            if (p->cell == WS_CELL_LSTM) lstm_step(p, d, t, w, &w_at, r, &r_at);
            else if (p->cell == WS_CELL_GRU) gru_step(p, d, t, w, &w_at, r, &r_at);
            else rnn_step(p, d, t, w, &w_at, r, &r_at);
            if (p->y) {
                const float *h = p->y_h + state_at(p, d);
                for (b = 0; b < p->batch; b++)
                    memcpy(p->y + y_at(p, t, d) + b * y_step(p), h + b * state_step(p), p->hidden * sizeof(float));
            }
        }
    }
}
