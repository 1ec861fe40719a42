/*
 * Minimal Cortex-M startup for the WeightShare firmware template (any ARMv6-M/ARMv7-M/ARMv7E-M core).
 * Vector table, reset handler that copies .data, zeroes .bss, enables the FPU when the build has one,
 * sets up the output (newlib's semihosting handles, or board_io_init() for a UART build: -DWS_IO_UART) and runs
 * exit(main()). SysTick counts wrap-arounds for ws_ticks().
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
