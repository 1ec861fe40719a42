/* CRC-32 against its check value and a bitwise reference; status strings for every code. */
#include <string.h>

#include "test_support.h"
#include "ws_test.h"

/* The textbook bit-at-a-time CRC-32 (reflected 0xEDB88320), as an independent reference. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

static void test_crc32(void) {
    static const char check[] = "123456789";
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    uint8_t data[1000];
    lcg g = {42};
    size_t i, split;
    int chained_ok = 1, reference_ok = 1;

    CHECK_EQ(ws_crc32(0, check, 9), 0xCBF43926u);
    CHECK_EQ(ws_crc32(0, fox, strlen(fox)), 0x414FA339u);
    CHECK_EQ(ws_crc32(0, check, 0), 0u);
    CHECK_EQ(ws_crc32(0xDEADBEEFu, check, 0), 0xDEADBEEFu);

    /* Chaining as zlib: crc(a || b) == crc(crc(a), b) for every split point. */
    for (split = 0; split <= 9; split++)
        if (ws_crc32(ws_crc32(0, check, split), check + split, 9 - split) != 0xCBF43926u) chained_ok = 0;
    CHECK(chained_ok);

    for (i = 0; i < sizeof data; i++) data[i] = (uint8_t)lcg_next(&g);
    for (i = 0; i <= sizeof data; i += 37)
        if (ws_crc32(0, data, i) != crc32_bitwise(data, i)) reference_ok = 0;
    CHECK(reference_ok);
    CHECK_EQ(ws_crc32(ws_crc32(0, data, 333), data + 333, 667), crc32_bitwise(data, 1000));
}

static void test_status_strings(void) {
    int codes = 0, distinct = 1;
    const char *texts[32];
    int i, j;
#define STATUS_CHECK(name, value, text)                 \
    CHECK_EQ((int)name, value);                         \
    CHECK(strcmp(ws_status_string(name), text) == 0);   \
    texts[codes++] = ws_status_string(name);
    WS_STATUS_LIST(STATUS_CHECK)
#undef STATUS_CHECK
    CHECK_EQ(codes, 18);
    for (i = 0; i < codes; i++)
        for (j = i + 1; j < codes; j++)
            if (strcmp(texts[i], texts[j]) == 0) distinct = 0;
    CHECK(distinct);
    CHECK(strcmp(ws_status_string(WS_OK), "ok") == 0);
    CHECK(strcmp(ws_status_string(WS_ERR_CRC), "CRC-32 mismatch: the file is corrupted") == 0);
    CHECK(strcmp(ws_status_string((ws_status)1), "unknown status") == 0);
    CHECK(strcmp(ws_status_string((ws_status)-18), "unknown status") == 0);
    CHECK(strcmp(ws_status_string((ws_status)1000), "unknown status") == 0);
}

int main(void) {
    test_crc32();
    test_status_strings();
    return ws_test_finish();
}
