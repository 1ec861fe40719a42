/* Status messages and opcode names, generated from the WS_STATUS_LIST and WS_OP_LIST X-macros so that codes and
 * texts cannot drift apart. */
#include "ws_runtime.h"

const char *ws_status_string(ws_status status) {
    switch (status) {
#define WS_STATUS_CASE(name, value, text) \
    case name:                            \
        return text;
        WS_STATUS_LIST(WS_STATUS_CASE)
#undef WS_STATUS_CASE
    }
    return "unknown status";
}

/* The rows of WS_OP_LIST are in code order with codes 0, 1, 2, ... (so the verifier's tables can be indexed by code
 * and the names below found by position): WS_OP_POS_<name> is the row's position, and must equal its code. */
#define WS_OP_POSITION(name, ...) WS_OP_POS_##name,
enum { WS_OP_LIST(WS_OP_POSITION) WS_OP_ROWS };
#undef WS_OP_POSITION
#define WS_OP_CHECK(name, Camel, code, ...) \
    typedef char ws_op_code_is_position_##name[(int)WS_OP_POS_##name == (code) ? 1 : -1];
WS_OP_LIST(WS_OP_CHECK)
#undef WS_OP_CHECK
typedef char ws_op_count_is_rows[(int)WS_OP_ROWS == (int)WS_OP_COUNT ? 1 : -1];

/* Every name, NUL-terminated, in code order: one string (no table of pointers). */
#define WS_OP_NAME(name, Camel, ...) #Camel "\0"
static const char op_names[] = WS_OP_LIST(WS_OP_NAME);
#undef WS_OP_NAME

/* The rows' C names (WS_OP_<name>), the same way. */
#define WS_OP_SYMBOL(name, ...) #name "\0"
static const char op_symbols[] = WS_OP_LIST(WS_OP_SYMBOL);
#undef WS_OP_SYMBOL

/* String `n` of a list of NUL-terminated strings; n < WS_OP_COUNT. */
static const char *nth(const char *p, uint32_t n) {
    uint32_t i;
    for (i = 0; i < n; i++)
        while (*p++ != '\0') continue;
    return p;
}

const char *ws_opcode_name(ws_opcode opcode) {
    return (uint32_t)opcode < (uint32_t)WS_OP_COUNT ? nth(op_names, (uint32_t)opcode) : "unknown";
}

const char *ws_opcode_symbol(ws_opcode opcode) {
    return (uint32_t)opcode < (uint32_t)WS_OP_COUNT ? nth(op_symbols, (uint32_t)opcode) : "";
}
