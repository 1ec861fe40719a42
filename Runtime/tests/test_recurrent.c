/*
 * Lstm, Gru and Rnn through whole models (official builder -> ws_model_load -> ws_invoke): a hand-computed Rnn,
 * and every cell against a naive double-precision reference written from the ONNX equations (forward, reverse,
 * bidirectional; layout 0 and 1; batch 1 and 3; with and without B, initial states, peepholes, Y; GRU
 * linear_before_reset 0 and 1; W and R raw or shared), plus the verifier's rules for multi-output operators.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

#define U32(...) ((const uint32_t[]){__VA_ARGS__})

static lcg rng = {4242};

/* The 16 codebook values the shared weights are drawn from. */
static float CODEBOOK16[16];

static float *random_values(uint32_t n, int from_codebook) {
    float *v = (float *)malloc((n + 1) * sizeof(float));
    uint32_t i;
    for (i = 0; i < n; i++)
        v[i] = from_codebook ? CODEBOOK16[lcg_below(&rng, 16)] : ((float)lcg_below(&rng, 64) - 32.0f) / 40.0f;
    return v;
}

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

typedef struct {
    ws_opcode op;
    uint32_t T, B, I, H, direction, layout;
    int lbr, bias, h0, c0, peep, y, shared;
} rcase;

static uint32_t gates_of(ws_opcode op) { return op == WS_OP_LSTM ? 4u : op == WS_OP_GRU ? 3u : 1u; }

/* Reference in layout 0 terms: x(t, b, k), states (d, b, j), y (t, d, b, j); layout 1 only changes the indexing. */
static uint32_t xi(const rcase *c, uint32_t t, uint32_t b, uint32_t k) {
    return c->layout ? (b * c->T + t) * c->I + k : (t * c->B + b) * c->I + k;
}
static uint32_t si(const rcase *c, uint32_t D, uint32_t d, uint32_t b, uint32_t j) {
    return c->layout ? (b * D + d) * c->H + j : (d * c->B + b) * c->H + j;
}
static uint32_t yi(const rcase *c, uint32_t D, uint32_t t, uint32_t d, uint32_t b, uint32_t j) {
    return c->layout ? ((b * c->T + t) * D + d) * c->H + j : ((t * D + d) * c->B + b) * c->H + j;
}

static void reference(const rcase *c, const float *x, const float *W, const float *R, const float *Bv,
                      const float *h0, const float *c0, const float *P, double *yh, double *yc, double *y) {
    const uint32_t D = c->direction == 2u ? 2u : 1u, H = c->H, G = gates_of(c->op);
    uint32_t d, s, b, j, k, g;
    double *h = (double *)calloc(H, sizeof(double)), *cs = (double *)calloc(H, sizeof(double));
    double *pre = (double *)calloc(G * H, sizeof(double)), *hn = (double *)calloc(H, sizeof(double));
    double *zr = (double *)calloc(2 * H, sizeof(double));
    for (d = 0; d < D; d++)
        for (b = 0; b < c->B; b++) {
            for (j = 0; j < H; j++) {
                h[j] = h0 ? h0[si(c, D, d, b, j)] : 0.0;
                cs[j] = c0 ? c0[si(c, D, d, b, j)] : 0.0;
            }
            for (s = 0; s < c->T; s++) {
                const uint32_t t = (d == 1u || c->direction == 1u) ? c->T - 1u - s : s;
                /* pre[g·H + j] = W x + Wb + Rb (+ R h, except GRU's h gate when linear_before_reset is 0) */
                for (g = 0; g < G; g++)
                    for (j = 0; j < H; j++) {
                        const uint32_t row = g * H + j;
                        double a = 0;
                        for (k = 0; k < c->I; k++) a += (double)W[(d * G * H + row) * c->I + k] * x[xi(c, t, b, k)];
                        if (Bv) a += (double)Bv[d * 2u * G * H + row];
                        pre[row] = a;
                    }
                if (c->op == WS_OP_LSTM) {
                    for (j = 0; j < H; j++) {
                        double gi = pre[j], go = pre[H + j], gf = pre[2 * H + j], gc = pre[3 * H + j], ct;
                        for (k = 0; k < H; k++) {
                            gi += (double)R[(d * G * H + j) * H + k] * h[k];
                            go += (double)R[(d * G * H + H + j) * H + k] * h[k];
                            gf += (double)R[(d * G * H + 2 * H + j) * H + k] * h[k];
                            gc += (double)R[(d * G * H + 3 * H + j) * H + k] * h[k];
                        }
                        if (Bv) {
                            gi += Bv[d * 8 * H + 4 * H + j];
                            go += Bv[d * 8 * H + 5 * H + j];
                            gf += Bv[d * 8 * H + 6 * H + j];
                            gc += Bv[d * 8 * H + 7 * H + j];
                        }
                        if (P) {
                            gi += (double)P[d * 3 * H + j] * cs[j];
                            gf += (double)P[d * 3 * H + 2 * H + j] * cs[j];
                        }
                        ct = sig(gf) * cs[j] + sig(gi) * tanh(gc);
                        if (P) go += (double)P[d * 3 * H + H + j] * ct;
                        hn[j] = sig(go) * tanh(ct);
                        cs[j] = ct;
                    }
                } else if (c->op == WS_OP_GRU) {
                    double *z = zr, *r = zr + H;
                    for (j = 0; j < H; j++) {
                        double az = pre[j], ar = pre[H + j];
                        for (k = 0; k < H; k++) {
                            az += (double)R[(d * G * H + j) * H + k] * h[k];
                            ar += (double)R[(d * G * H + H + j) * H + k] * h[k];
                        }
                        if (Bv) {
                            az += Bv[d * 6 * H + 3 * H + j];
                            ar += Bv[d * 6 * H + 4 * H + j];
                        }
                        z[j] = sig(az);
                        r[j] = sig(ar);
                    }
                    for (j = 0; j < H; j++) {
                        double rh = Bv ? Bv[d * 6 * H + 5 * H + j] : 0.0, n;
                        for (k = 0; k < H; k++)
                            rh += (double)R[(d * G * H + 2 * H + j) * H + k] * (c->lbr ? h[k] : r[k] * h[k]);
                        n = tanh(pre[2 * H + j] + (c->lbr ? r[j] * rh : rh));
                        hn[j] = (1 - z[j]) * n + z[j] * h[j];
                    }
                } else {
                    for (j = 0; j < H; j++) {
                        double a = pre[j];
                        for (k = 0; k < H; k++) a += (double)R[(d * H + j) * H + k] * h[k];
                        if (Bv) a += Bv[d * 2 * H + H + j];
                        hn[j] = tanh(a);
                    }
                }
                for (j = 0; j < H; j++) {
                    h[j] = hn[j];
                    if (y) y[yi(c, D, t, d, b, j)] = h[j];
                }
            }
            for (j = 0; j < H; j++) {
                yh[si(c, D, d, b, j)] = h[j];
                if (yc) yc[si(c, D, d, b, j)] = cs[j];
            }
        }
    free(h);
    free(cs);
    free(pre);
    free(hn);
    free(zr);
}

/* Builds and runs one case; compares every output with the reference. */
static void run_case(const rcase *c) {
    const uint32_t D = c->direction == 2u ? 2u : 1u, G = gates_of(c->op), H = c->H;
    const uint32_t nx = c->T * c->B * c->I, ns = D * c->B * H, ny = c->T * ns;
    const uint32_t work = (c->op == WS_OP_LSTM ? 4u : c->op == WS_OP_GRU ? 7u : 1u) * H;
    const uint32_t xs[3] = {c->layout ? c->B : c->T, c->layout ? c->T : c->B, c->I};
    const uint32_t ss[3] = {c->layout ? c->B : D, c->layout ? D : c->B, H};
    const uint32_t ys[4] = {c->layout ? c->B : c->T, c->layout ? c->T : D, c->layout ? D : c->B, H};
    float *x = random_values(nx, 0), *W = random_values(D * G * H * c->I, c->shared);
    float *R = random_values(D * G * H * H, c->shared), *Bv = random_values(D * 2 * G * H, 0);
    float *h0 = random_values(ns, 0), *c0 = random_values(ns, 0), *P = random_values(D * 3 * H, 0);
    double *eh = (double *)calloc(ns, sizeof(double)), *ec = (double *)calloc(ns, sizeof(double));
    double *ey = (double *)calloc(ny, sizeof(double));
    const int lstm = c->op == WS_OP_LSTM;
    harness h;
    int32_t in[7], out[4], yh, yc = -1, ws, yt = -1;
    uint32_t nin = 3, nout, i;
    int32_t graph_out[3];
    uint32_t ngo = 0;

    reference(c, x, W, R, c->bias ? Bv : NULL, c->h0 ? h0 : NULL, lstm && c->c0 ? c0 : NULL,
              lstm && c->peep ? P : NULL, eh, lstm ? ec : NULL, c->y ? ey : NULL);

    h_init(&h, CODEBOOK16, 16);
    in[0] = operand(&h, ACT, xs, 3, x);
    in[1] = operand(&h, c->shared ? SHARED : RAW, U32(D, G * H, c->I), 3, W);
    in[2] = operand(&h, c->shared ? SHARED : RAW, U32(D, G * H, H), 3, R);
    in[3] = c->bias ? operand(&h, RAW, U32(D, 2 * G * H), 2, Bv) : -1;
    /* initial_h from the graph (an activation: the streaming case), initial_c a constant */
    in[4] = c->h0 ? operand(&h, ACT, ss, 3, h0) : -1;
    in[5] = lstm && c->c0 ? operand(&h, RAW, ss, 3, c0) : -1;
    in[6] = lstm && c->peep ? operand(&h, RAW, U32(D, 3 * H), 2, P) : -1;
    if (c->h0) nin = 5;
    if (in[3] >= 0) nin = nin > 4 ? nin : 4;
    if (lstm && (c->c0 || c->peep)) nin = 7;
    yh = tm_act(&h.m, ss, 3);
    nout = 0;
    out[nout++] = yh;
    if (lstm) out[nout++] = yc = tm_act(&h.m, ss, 3);
    out[nout++] = ws = tm_act(&h.m, U32(c->B, work), 2);
    if (c->y) out[nout++] = yt = tm_act(&h.m, ys, 4);
    CHECK(wsm_builder_add_recurrent(h.m.b, (uint8_t)c->op, "rnn", in, nin, out, nout, (uint8_t)c->direction,
                                    (uint8_t)c->layout, c->lbr) == 0);
    graph_out[ngo++] = yh;
    if (lstm) graph_out[ngo++] = yc;
    if (c->y) graph_out[ngo++] = yt;
    (void)ws;
    if (tm_finish(&h.m, h.inputs, h.num_inputs, graph_out, ngo) != WS_OK) {
        CHECK_STATUS(h.m.error.status, WS_OK);
        fprintf(stderr, "    case op %d T%u B%u I%u H%u dir %u layout %u\n", (int)c->op, c->T, c->B, c->I, c->H,
                c->direction, c->layout);
    } else {
        for (i = 0; i < h.num_inputs; i++) tm_set(&h.m, h.inputs[i], h.values[i]);
        CHECK_STATUS(tm_run(&h.m), WS_OK);
        {
            const float *ah = tm_get(&h.m, yh);
            for (i = 0; i < ns; i++) CHECK(fabs(ah[i] - eh[i]) <= 1e-5 * (1 + fabs(eh[i])));
            if (lstm) {
                const float *ac = tm_get(&h.m, yc);
                for (i = 0; i < ns; i++) CHECK(fabs(ac[i] - ec[i]) <= 1e-5 * (1 + fabs(ec[i])));
            }
            if (c->y) {
                const float *ay = tm_get(&h.m, yt);
                for (i = 0; i < ny; i++) CHECK(fabs(ay[i] - ey[i]) <= 1e-5 * (1 + fabs(ey[i])));
            }
        }
    }
    tm_free(&h.m);
    free(x), free(W), free(R), free(Bv), free(h0), free(c0), free(P), free(eh), free(ec), free(ey);
}

static void test_random_cases(void) {
    static const ws_opcode ops[3] = {WS_OP_LSTM, WS_OP_GRU, WS_OP_RNN};
    uint32_t o, dir, layout, v;
    for (o = 0; o < 3; o++)
        for (dir = 0; dir < 3; dir++)
            for (layout = 0; layout < 2; layout++)
                for (v = 0; v < 4; v++) {
                    rcase c;
                    memset(&c, 0, sizeof c);
                    c.op = ops[o];
                    c.T = 1 + lcg_below(&rng, 4);
                    c.B = v & 1u ? 3u : 1u;
                    c.I = 1 + lcg_below(&rng, 5);
                    c.H = 1 + lcg_below(&rng, 5);
                    c.direction = dir;
                    c.layout = layout;
                    c.lbr = ops[o] == WS_OP_GRU && (v & 2u);
                    c.bias = v != 1u;
                    c.h0 = v >= 2u;
                    c.c0 = v == 3u;
                    c.peep = v & 1u;
                    c.y = v != 2u;
                    c.shared = v & 1u;
                    run_case(&c);
                }
}

/* Rnn, T = 2, B = 1, I = 1, H = 1: W 0.5, R 0.25, Wb 0.1, Rb 0.2, x = [1, 2]:
 * h1 = tanh(0.5 + 0.3), h2 = tanh(1.0 + 0.25·h1 + 0.3). */
static void test_rnn_hand(void) {
    harness h;
    int32_t in[4], out[3], yh, yt;
    const float h1 = tanhf(0.8f), h2 = tanhf(1.3f + 0.25f * tanhf(0.8f));
    h_init(&h, NULL, 0);
    in[0] = operand(&h, ACT, U32(2, 1, 1), 3, FLOATS(1, 2));
    in[1] = tm_raw(&h.m, U32(1, 1, 1), 3, FLOATS(0.5f));
    in[2] = tm_raw(&h.m, U32(1, 1, 1), 3, FLOATS(0.25f));
    in[3] = tm_raw(&h.m, U32(1, 2), 2, FLOATS(0.1f, 0.2f));
    out[0] = yh = tm_act(&h.m, U32(1, 1, 1), 3);
    out[1] = tm_act(&h.m, U32(1, 1), 2);
    out[2] = yt = tm_act(&h.m, U32(2, 1, 1, 1), 4);
    CHECK(wsm_builder_add_recurrent(h.m.b, WS_OP_RNN, "rnn", in, 4, out, 3, 0, 0, 0) == 0);
    CHECK_STATUS(tm_finish(&h.m, h.inputs, 1, (const int32_t[]){yh, yt}, 2), WS_OK);
    tm_set(&h.m, h.inputs[0], h.values[0]);
    CHECK_STATUS(tm_run(&h.m), WS_OK);
    CHECK(fabsf(tm_get(&h.m, yt)[0] - h1) < 1e-6f);
    CHECK(fabsf(tm_get(&h.m, yt)[1] - h2) < 1e-6f);
    CHECK(fabsf(tm_get(&h.m, yh)[0] - h2) < 1e-6f);
    /* the accessors see every output of the operator, -1 past the count */
    {
        ws_operator_info info;
        CHECK_STATUS(ws_model_operator(&h.m.model, 0, &info), WS_OK);
        CHECK(info.num_outputs == 3 && info.outputs[0] == yh && info.outputs[2] == yt && info.outputs[3] == -1);
        CHECK(ws_model_operator_output(&h.m.model, 0, 2) == yt);
        CHECK(ws_model_operator_output(&h.m.model, 0, 3) == WS_NO_TENSOR);
        CHECK(ws_model_operator_output(&h.m.model, 1, 0) == WS_NO_TENSOR);
    }
    tm_free(&h.m);
}

/* A Gru model with one thing wrong; returns the load status (and the operator and tensor at fault). */
enum {
    BAD_NONE, BAD_DIRECTION, BAD_LAYOUT, BAD_HIDDEN, BAD_BIAS, BAD_WORKSPACE, BAD_Y, BAD_NO_WORKSPACE, BAD_EXTRA,
    BAD_OVERLAP_OUTPUTS, BAD_OVERLAP_INPUT, BAD_SHARED_B, BAD_RAW_OUTPUT, BAD_LBR_ON_RNN, BAD_NO_OPTIONS,
    BAD_WRITE_TWICE, BAD_STATE
};
static ws_status gru_with(int bad, ws_load_error *err) {
    tm m;
    int32_t in[5], out[4], x, yh, ws, y, extra;
    uint32_t nout = 3;
    ws_status s;
    float v[64];
    uint32_t i;
    uint8_t op = bad == BAD_LBR_ON_RNN ? (uint8_t)WS_OP_RNN : (uint8_t)WS_OP_GRU;
    uint32_t G = op == WS_OP_RNN ? 1u : 3u, k = op == WS_OP_RNN ? 1u : 7u;
    for (i = 0; i < 64; i++) v[i] = 0.125f * (float)(i % 5);
    tm_init(&m);
    tm_codebook(&m, FLOATS(0.0f, 0.125f, 0.25f, 0.375f, 0.5f), 5);
    x = tm_act(&m, U32(2, 1, 3), 3);
    in[0] = x;
    in[1] = tm_raw(&m, U32(1, G * 2, 3), 3, v);
    in[2] = tm_raw(&m, U32(1, G * 2, bad == BAD_HIDDEN ? 3 : 2), 3, v);
    in[3] = bad == BAD_SHARED_B ? tm_shared(&m, U32(1, 2 * G * 2), 2, v)
                                : tm_raw(&m, U32(1, bad == BAD_BIAS ? G * 2 : 2 * G * 2), 2, v);
    in[4] = tm_raw(&m, bad == BAD_STATE ? U32(1, 1, 3) : U32(1, 1, 2), 3, v);
    yh = bad == BAD_RAW_OUTPUT ? tm_raw(&m, U32(1, 1, 2), 3, v) : tm_act(&m, U32(1, 1, 2), 3);
    ws = tm_act(&m, U32(1, bad == BAD_WORKSPACE ? k * 2 - 1 : k * 2), 2);
    y = tm_act(&m, U32(2, 1, 1, bad == BAD_Y ? 3 : 2), 4);
    extra = tm_act(&m, U32(1), 1);
    out[0] = yh;
    out[1] = bad == BAD_OVERLAP_OUTPUTS ? yh : ws;
    out[2] = y;
    if (bad == BAD_OVERLAP_INPUT) out[2] = x;
    if (bad == BAD_NO_WORKSPACE) nout = 1;
    if (bad == BAD_EXTRA) {
        out[3] = extra;
        nout = 4;
    }
    if (bad == BAD_NO_OPTIONS) CHECK(wsm_builder_add_operator(m.b, op, "gru", in, 5, out, nout) == 0);
    else
        CHECK(wsm_builder_add_recurrent(m.b, op, "gru", in, 5, out, nout, bad == BAD_DIRECTION ? 3 : 0,
                                        bad == BAD_LAYOUT ? 2 : 0, bad == BAD_LBR_ON_RNN) == 0);
    if (bad == BAD_WRITE_TWICE) tm_op(&m, WS_OP_RELU, &yh, 1, &yh, 1); /* in place, but Y_h is written already */
    s = tm_finish(&m, &x, 1, &yh, 1);
    *err = m.error;
    if (s == WS_OK) { /* a valid model also runs */
        tm_set(&m, x, FLOATS(1, 2, 3, 4, 5, 6));
        CHECK_STATUS(tm_run(&m), WS_OK);
        CHECK(!isnan(tm_get(&m, yh)[0]) && !isnan(tm_get(&m, y)[3]));
    }
    tm_free(&m);
    return s;
}

static void test_rejections(void) {
    ws_load_error e;
    CHECK_STATUS(gru_with(BAD_NONE, &e), WS_OK);
    CHECK_STATUS(gru_with(BAD_DIRECTION, &e), WS_ERR_OPERATOR);
    CHECK_STATUS(gru_with(BAD_LAYOUT, &e), WS_ERR_OPERATOR);
    CHECK_STATUS(gru_with(BAD_LBR_ON_RNN, &e), WS_ERR_OPERATOR);
    CHECK_STATUS(gru_with(BAD_NO_OPTIONS, &e), WS_ERR_OPERATOR);
    CHECK_STATUS(gru_with(BAD_HIDDEN, &e), WS_ERR_SHAPE);
    CHECK_STATUS(gru_with(BAD_BIAS, &e), WS_ERR_SHAPE);
    CHECK_STATUS(gru_with(BAD_STATE, &e), WS_ERR_SHAPE);
    CHECK_STATUS(gru_with(BAD_WORKSPACE, &e), WS_ERR_SHAPE);
    CHECK_STATUS(gru_with(BAD_Y, &e), WS_ERR_SHAPE);
    CHECK_STATUS(gru_with(BAD_NO_WORKSPACE, &e), WS_ERR_OPERATOR);
    CHECK_STATUS(gru_with(BAD_EXTRA, &e), WS_ERR_OPERATOR);
    CHECK_STATUS(gru_with(BAD_SHARED_B, &e), WS_ERR_OPERATOR);
    CHECK(e.op == 0 && e.input == 3);
    CHECK_STATUS(gru_with(BAD_RAW_OUTPUT, &e), WS_ERR_OPERATOR);
    CHECK(e.op == 0 && e.input == -1 && e.tensor >= 0);
    /* two outputs on one tensor (shapes differ first) and an output over the input */
    CHECK(gru_with(BAD_OVERLAP_OUTPUTS, &e) != WS_OK);
    CHECK_STATUS(gru_with(BAD_OVERLAP_INPUT, &e), WS_ERR_SHAPE);
    /* Y_h written by the Gru, then again by a Relu: the second operator is refused, naming Y_h */
    CHECK_STATUS(gru_with(BAD_WRITE_TWICE, &e), WS_ERR_GRAPH);
    CHECK(e.op == 1 && e.input == -1);
}

/* Outputs that overlap in the arena (same shapes, so only the aliasing rule refuses them), and an operator that
 * reads the second output of a multi-output operator (Y_c of an Lstm): the data flow sees every output. */
static void test_multi_output_data_flow(void) {
    tm m;
    int32_t in[3], out[3], x, yh, yc, ws, sum;
    ws_status s;
    float v[64];
    uint32_t i;
    for (i = 0; i < 64; i++) v[i] = 0.0625f * (float)(i % 7) - 0.1f;
    /* Y_h and Y_c placed on the same bytes */
    tm_init(&m);
    x = tm_act(&m, U32(1, 1, 2), 3);
    in[0] = x;
    in[1] = tm_raw(&m, U32(1, 8, 2), 3, v);
    in[2] = tm_raw(&m, U32(1, 8, 2), 3, v);
    yh = tm_act(&m, U32(1, 1, 2), 3);
    yc = tm_act_at(&m, U32(1, 1, 2), 3, 16u * 1u);
    ws = tm_act(&m, U32(1, 8), 2);
    out[0] = yh, out[1] = yc, out[2] = ws;
    CHECK(wsm_builder_add_recurrent(m.b, WS_OP_LSTM, "lstm", in, 3, out, 3, 0, 0, 0) == 0);
    s = tm_finish(&m, &x, 1, &yh, 1);
    CHECK_STATUS(s, WS_ERR_ARENA);
    CHECK(m.error.tensor == yc && m.error.op == 0);
    tm_free(&m);

    /* Y_h + Y_c: the Add reads both outputs of the Lstm */
    tm_init(&m);
    x = tm_act(&m, U32(1, 1, 2), 3);
    in[0] = x;
    in[1] = tm_raw(&m, U32(1, 8, 2), 3, v);
    in[2] = tm_raw(&m, U32(1, 8, 2), 3, v);
    yh = tm_act(&m, U32(1, 1, 2), 3);
    yc = tm_act(&m, U32(1, 1, 2), 3);
    ws = tm_act(&m, U32(1, 8), 2);
    sum = tm_act(&m, U32(1, 1, 2), 3);
    out[0] = yh, out[1] = yc, out[2] = ws;
    CHECK(wsm_builder_add_recurrent(m.b, WS_OP_LSTM, "lstm", in, 3, out, 3, 0, 0, 0) == 0);
    tm_op(&m, WS_OP_ADD, (const int32_t[]){yh, yc}, 2, &sum, 1);
    CHECK_STATUS(tm_finish(&m, &x, 1, &sum, 1), WS_OK);
    tm_set(&m, x, FLOATS(0.5f, -1.0f));
    CHECK_STATUS(tm_run(&m), WS_OK);
    {
        const float *a = tm_get(&m, sum), *h = tm_get(&m, yh), *c = tm_get(&m, yc);
        CHECK(fabsf(a[0] - (h[0] + c[0])) < 1e-7f && fabsf(a[1] - (h[1] + c[1])) < 1e-7f);
        CHECK(!isnan(a[0]) && fabsf(h[0]) > 0.0f);
    }
    tm_free(&m);
}

int main(void) {
    uint32_t i;
    for (i = 0; i < 16; i++) CODEBOOK16[i] = ((float)i - 8.0f) / 10.0f;
    test_rnn_hand();
    test_random_cases();
    test_rejections();
    test_multi_output_data_flow();
    return ws_test_finish();
}
