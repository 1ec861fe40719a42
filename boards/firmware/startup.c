/*
 * Minimal Cortex-M startup for the WeightShare firmware template (any ARMv6-M/ARMv7-M/ARMv7E-M core).
 * Vector table, reset handler that copies .data, zeroes .bss, enables the FPU when the build has one,
 * sets up the output (newlib's semihosting handles, or board_io_init() for a UART build: -DWS_IO_UART) and runs
 * exit(main()).
 *
 * Time (ws_ticks_start()/ws_ticks()):
 *   default (make TIMING=systick)  SysTick at the processor clock, wrap-arounds counted: ticks. Under QEMU with
 *                                  -icount shift=0 they convert exactly to instructions (wsc run).
 *   -DWS_TIMING_DWT (TIMING=dwt)   the DWT cycle counter (ARMv7-M: Cortex-M3/M4/M7/M33): core clock cycles on
 *                                  a real board, flash wait states and stalls included. Extended to 64 bits in
 *                                  software, so the interval between two ws_ticks() calls must stay below 2^32
 *                                  cycles (20 s at 216 MHz). QEMU does not emulate CYCCNT (it reads 0).
 */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
extern int main(void);
#if defined(WS_IO_UART)
#include "board_io.h"
#else
extern void initialise_monitor_handles(void);
#endif
extern void __libc_init_array(void);

void reset_handler(void);
void default_handler(void);
void systick_handler(void);

/* -nostartfiles drops crti.o, which would provide these. */
void _init(void) {}
void _fini(void) {}

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYSTICK_RELOAD 0x00FFFFFFu

static volatile uint32_t systick_wraps;

void systick_handler(void) { systick_wraps++; }

#if defined(WS_TIMING_DWT)
#if defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)
#error "TIMING=dwt needs the DWT cycle counter of ARMv7-M/ARMv8-M Mainline (Cortex-M3/M4/M7/M33); this core has none"
#endif
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)

static uint32_t dwt_last;
static uint64_t dwt_high;

void ws_ticks_start(void) {
    DEMCR |= 1u << 24; /* TRCENA: enable the DWT */
#if defined(WS_DWT_UNLOCK)
    DWT_LAR = 0xC5ACCE55u; /* Cortex-M7: the DWT is locked after reset */
#endif
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u; /* CYCCNTENA */
    dwt_last = 0;
    dwt_high = 0;
}

/* Cycles since ws_ticks_start(): CYCCNT extended to 64 bits (one wrap between calls at most). */
uint64_t ws_ticks(void) {
    uint32_t value = DWT_CYCCNT;
    if (value < dwt_last) dwt_high += (uint64_t)1 << 32;
    dwt_last = value;
    return dwt_high | value;
}
#else

void ws_ticks_start(void) {
    SYST_CSR = 0;
    SYST_RVR = SYSTICK_RELOAD;
    SYST_CVR = 0;
    systick_wraps = 0;
    SYST_CSR = 7u; /* processor clock, interrupt on wrap, enable */
    while (SYST_CVR == 0u) {
    } /* the reload value is loaded on the first tick */
    systick_wraps = 0;
}

/* Monotonic ticks since ws_ticks_start(): the 24-bit down counter plus counted wrap-arounds. */
uint64_t ws_ticks(void) {
    uint32_t wraps, value;
    do {
        wraps = systick_wraps;
        value = SYST_CVR;
    } while (wraps != systick_wraps);
    return (uint64_t)wraps * (SYSTICK_RELOAD + 1u) + (SYSTICK_RELOAD - value);
}
#endif

void default_handler(void) {
    /* Any fault ends the run with a distinct exit status instead of hanging until the timeout. */
    exit(3);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top,
    reset_handler,
    default_handler, /* NMI */
    default_handler, /* HardFault */
    default_handler, /* MemManage */
    default_handler, /* BusFault */
    default_handler, /* UsageFault */
    0, 0, 0, 0,
    default_handler, /* SVCall */
    default_handler, /* DebugMonitor */
    0,
    default_handler, /* PendSV */
    systick_handler,
};

void reset_handler(void) {
    uint32_t *src = &__data_load, *dst = &__data_start;
    while (dst < &__data_end) *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
#if defined(__ARM_FP)
    /* CPACR: full access to CP10/CP11 before the first float instruction. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
#endif
#if defined(WS_IO_UART)
    board_io_init();
#else
    initialise_monitor_handles();
#endif
    __libc_init_array();
    exit(main());
}
