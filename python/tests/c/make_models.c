/*
 * Writes small .wsm files for the Python tests with the runtime tests' own helpers (Runtime/tests/test_support.c,
 * over the official FlatBuffers writer), independent of wsc and of the Python binding:
 *
 *   two_in_two_out.wsm  inputs a [1,4], b [1,4]; outputs sum = a + b [1,4] and proj = (a * b) · Wᵀ [1,3], W [3,4]
 *                       shared over the codebook {-0.5, 0.25, 1, 2}
 *   bad_shape.wsm       operator 0 ("add_mismatch") adds [1,4] and [1,3]: WS_ERR_SHAPE
 *   bad_arena.wsm       activation "late" ends past the arena: WS_ERR_ARENA
 *
 *   make_models OUT_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static void need_ok(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "make_models: %s\n", what);
        exit(2);
    }
}

/* A named activation in the next free 16-byte-aligned arena slot (tm_act names none). */
static int32_t named_act(tm *m, const char *name, const uint32_t *shape, uint32_t rank) {
    uint32_t elements = 1, i, end;
    int32_t t;
    for (i = 0; i < rank; i++) elements *= shape[i];
    t = wsm_builder_add_activation(m->b, name, shape, rank, m->arena_next);
    need_ok(t >= 0, "add_activation");
    end = m->arena_next + 4u * elements;
    m->arena_next = (end + 15u) & ~15u;
    return t;
}

static void write_file(const char *dir, const char *name, const tm *m) {
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    need_ok(f != NULL && fwrite(m->mem, 1, m->len, f) == m->len && fclose(f) == 0, path);
}

int main(int argc, char **argv) {
    tm m;
    if (argc != 2) {
        fprintf(stderr, "usage: make_models OUT_DIR\n");
        return 2;
    }
    { /* two inputs, two outputs, a shared weight */
        static const float w[12] = {1, -0.5f, 0.25f, 2, 2, 2, -0.5f, 1, 0.25f, 0.25f, 1, -0.5f};
        int32_t a, b, sum, prod, weight, proj;
        tm_init(&m);
        tm_codebook(&m, FLOATS(-0.5f, 0.25f, 1.0f, 2.0f), 4);
        a = named_act(&m, "a", DIMS(1, 4));
        b = named_act(&m, "b", DIMS(1, 4));
        sum = named_act(&m, "sum", DIMS(1, 4));
        prod = named_act(&m, "prod", DIMS(1, 4));
        proj = named_act(&m, "proj", DIMS(1, 3));
        weight = tm_shared(&m, DIMS(3, 4), w);
        need_ok(wsm_builder_add_operator(m.b, (uint8_t)WS_OP_ADD, "add", TENSORS(a, b), &sum, 1) == 0, "add");
        need_ok(wsm_builder_add_operator(m.b, (uint8_t)WS_OP_MUL, "mul", TENSORS(a, b), &prod, 1) == 0, "mul");
        tm_gemm(&m, TENSORS(prod, weight), proj, 1.0f, 1.0f, 0, 1);
        need_ok(tm_finish(&m, TENSORS(a, b), TENSORS(sum, proj)) == WS_OK, "two_in_two_out loads");
        write_file(argv[1], "two_in_two_out.wsm", &m);
        tm_free(&m);
    }
    { /* shapes that do not agree */
        int32_t a, b, y;
        tm_init(&m);
        a = named_act(&m, "x4", DIMS(1, 4));
        b = named_act(&m, "x3", DIMS(1, 3));
        y = named_act(&m, "y", DIMS(1, 4));
        need_ok(wsm_builder_add_operator(m.b, (uint8_t)WS_OP_ADD, "add_mismatch", TENSORS(a, b), &y, 1) == 0, "add");
        need_ok(tm_finish(&m, TENSORS(a, b), TENSORS(y)) == WS_ERR_SHAPE, "bad_shape is refused with WS_ERR_SHAPE");
        write_file(argv[1], "bad_shape.wsm", &m);
        tm_free(&m);
    }
    { /* an activation past the arena */
        int32_t x, y;
        tm_init(&m);
        x = named_act(&m, "x", DIMS(1, 4));
        y = named_act(&m, "late", DIMS(1, 4));
        need_ok(wsm_builder_add_operator(m.b, (uint8_t)WS_OP_RELU, "relu", TENSORS(x), &y, 1) == 0, "relu");
        m.arena_bytes = 16; /* "late" is at 16..32 */
        need_ok(tm_finish(&m, TENSORS(x), TENSORS(y)) == WS_ERR_ARENA, "bad_arena is refused with WS_ERR_ARENA");
        write_file(argv[1], "bad_arena.wsm", &m);
        tm_free(&m);
    }
    printf("ok\n");
    return 0;
}
