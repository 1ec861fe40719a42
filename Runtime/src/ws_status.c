/* Status messages, generated from the WS_STATUS_LIST X-macro so codes and texts cannot drift apart. */
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
