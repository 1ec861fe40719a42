/*
 * Output hooks of the WeightShare firmware template for UART builds (`make IO=uart`).
 *
 * Every byte the firmware prints (printf, puts, ...) goes to board_write(); the exit status goes to board_exit()
 * after the line "exit <code>" has been written. board_io.c holds weak defaults for the UARTs named by
 * UART_KIND; for your own board replace that file (`make BOARD_IO=my_board_io.c ...`) or define these functions
 * in your application (the weak defaults then drop out).
 */
#ifndef WS_BOARD_IO_H
#define WS_BOARD_IO_H

#include <stddef.h>

/* Called once by the reset handler before main(): clocks, pins and the UART itself. */
void board_io_init(void);
/* Writes n bytes (blocking); '\n' is sent as "\r\n" by the defaults. */
void board_write(const char *s, size_t n);
/* Waits until the last byte has left the UART, then stops: halts (default) or resets the chip (EXIT=reset). */
void board_exit(int code) __attribute__((noreturn));

#endif
