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

const char *ws_opcode_name(ws_opcode opcode) {
    const char *p = op_names;
    uint32_t i;
    if ((uint32_t)opcode >= (uint32_t)WS_OP_COUNT) return "unknown";
    for (i = 0; i < (uint32_t)opcode; i++)
        while (*p++ != '\0') continue;
    return p;
}
