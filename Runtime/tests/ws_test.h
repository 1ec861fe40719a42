/* Tiny assertion helpers for the runtime tests. Each check counts; main() ends with ws_test_finish(). */
#ifndef WS_TEST_H
#define WS_TEST_H

#include <math.h>
#include <stdio.h>

#include "ws_runtime.h"

static unsigned ws_test_passed, ws_test_failed;

static inline int ws_test_record(int ok, const char *file, int line, const char *what) {
    if (ok) {
        ws_test_passed++;
    } else {
        ws_test_failed++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    }
    return ok;
}

#define CHECK(cond) ws_test_record((cond) != 0, __FILE__, __LINE__, #cond)

#define CHECK_EQ(actual, expected)                                                                           \
    do {                                                                                                     \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                                      \
        if (!ws_test_record(a_ == e_, __FILE__, __LINE__, #actual " == " #expected))                         \
            fprintf(stderr, "    got %lld, expected %lld\n", a_, e_);                                        \
    } while (0)

#define CHECK_STATUS(actual, expected)                                                                       \
    do {                                                                                                     \
        ws_status a_ = (actual), e_ = (expected);                                                            \
        if (!ws_test_record(a_ == e_, __FILE__, __LINE__, #actual " == " #expected))                         \
            fprintf(stderr, "    got %d (%s), expected %d (%s)\n", (int)a_, ws_status_string(a_), (int)e_,      \
                    ws_status_string(e_));                                                                   \
    } while (0)

/* |actual - expected| <= tol for n floats. */
#define CHECK_FLOATS(actual, expected, n, tol)                                                               \
    do {                                                                                                     \
        const float *a_ = (actual), *e_ = (expected);                                                        \
        unsigned i_, n_ = (unsigned)(n), bad_ = n_;                                                          \
        for (i_ = 0; i_ < n_ && bad_ == n_; i_++)                                                            \
            if (!(fabs((double)a_[i_] - (double)e_[i_]) <= (tol))) bad_ = i_;                                \
        if (!ws_test_record(bad_ == n_, __FILE__, __LINE__, #actual " ~ " #expected))                        \
            fprintf(stderr, "    element %u: got %.9g, expected %.9g\n", bad_, (double)a_[bad_],             \
                    (double)e_[bad_]);                                                                       \
    } while (0)

/* Prints the summary line the CI parser reads; returns the exit status. */
static inline int ws_test_finish(void) {
    printf("%u passed, %u failed\n", ws_test_passed, ws_test_failed);
    return ws_test_failed ? 1 : 0;
}

#endif /* WS_TEST_H */
