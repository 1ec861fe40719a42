/*
 * Default UART drivers for `make IO=uart` (weak: your own definitions win; or replace this file with
 * `make BOARD_IO=path.c`). The Makefile selects one with UART_KIND and passes UART_BASE, UART_CLOCK_HZ and
 * UART_BAUD (from the board file's `uart` field when `wsc run --io uart` builds it):
 *
 *   cmsdk-apb-uart  ARM CMSDK APB UART (MPS2 boards: UART0 at 0x40004000). DATA +0x00, STATE +0x04 (bit 0 TX
 *                   buffer full), CTRL +0x08 (bit 0 TX enable), BAUDDIV +0x10 (clock / baud, >= 16).
 *   stm32-usart     STM32F1/F2/F4 USART (STM32F405 USART1 at 0x40011000). SR +0x00 (bit 7 TXE, bit 6 TC),
 *                   DR +0x04, BRR +0x08 (clock / baud), CR1 +0x0C (bit 13 UE, bit 3 TE). On real silicon the
 *                   USART's clock (RCC) and its TX pin (GPIO alternate function) must be enabled as well: do
 *                   that in your own board_io_init(), e.g. STM32F4 USART1 on PA9: RCC_AHB1ENR |= 1 (GPIOA),
 *                   RCC_APB2ENR |= 1 << 4 (USART1), GPIOA_MODER bits 19:18 = 2, GPIOA_AFRH bits 7:4 = 7.
 *
 * board_exit() waits for the transmitter to drain, then halts in a WFI loop, or with EXIT=reset
 * (-DWS_EXIT_RESET) requests a system reset (AIRCR.SYSRESETREQ): `qemu-system-arm -no-reboot` then exits.
 */
#include <stdint.h>

#include "board_io.h"

#ifndef WS_UART_BAUD
#define WS_UART_BAUD 115200u
#endif
#define WS_REG(offset) (*(volatile uint32_t *)((uintptr_t)(WS_UART_BASE) + (offset)))

#if defined(WS_UART_CMSDK)
#define UART_DATA WS_REG(0x00u)
#define UART_STATE WS_REG(0x04u)
#define UART_CTRL WS_REG(0x08u)
#define UART_BAUDDIV WS_REG(0x10u)

__attribute__((weak)) void board_io_init(void) {
    UART_BAUDDIV = (uint32_t)(WS_UART_CLOCK_HZ) / (uint32_t)(WS_UART_BAUD);
    UART_CTRL = 1u; /* TX enable */
}

static void uart_put(char c) {
    while (UART_STATE & 1u) {
    } /* TX buffer full */
    UART_DATA = (uint8_t)c;
}

static void uart_drain(void) {
    while (UART_STATE & 1u) {
    }
}
#elif defined(WS_UART_STM32)
#define USART_SR WS_REG(0x00u)
#define USART_DR WS_REG(0x04u)
#define USART_BRR WS_REG(0x08u)
#define USART_CR1 WS_REG(0x0Cu)
#define USART_SR_TXE (1u << 7)
#define USART_SR_TC (1u << 6)

__attribute__((weak)) void board_io_init(void) {
    USART_CR1 = 0u;
    USART_BRR = ((uint32_t)(WS_UART_CLOCK_HZ) + (uint32_t)(WS_UART_BAUD) / 2u) / (uint32_t)(WS_UART_BAUD);
    USART_CR1 = (1u << 13) | (1u << 3); /* UE, TE; 8N1 */
}

static void uart_put(char c) {
    while (!(USART_SR & USART_SR_TXE)) {
    }
    USART_DR = (uint8_t)c;
}

static void uart_drain(void) {
    while (!(USART_SR & USART_SR_TC)) {
    }
}
#else
#error "board_io.c: set UART_KIND (cmsdk-apb-uart or stm32-usart) or pass BOARD_IO=your_board_io.c"
#endif

__attribute__((weak)) void board_write(const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] == '\n') uart_put('\r');
        uart_put(s[i]);
    }
}

__attribute__((weak)) void board_exit(int code) {
    (void)code;
    uart_drain();
#if defined(WS_EXIT_RESET)
    __asm volatile("dsb" ::: "memory");
    *(volatile uint32_t *)0xE000ED0Cu = 0x05FA0004u; /* AIRCR: VECTKEY | SYSRESETREQ */
    __asm volatile("dsb" ::: "memory");
#endif
    for (;;) {
        __asm volatile("wfi");
    }
}
