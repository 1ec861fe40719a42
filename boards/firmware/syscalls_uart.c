/*
 * newlib system calls for `make IO=uart` (linked with nosys.specs instead of rdimon.specs): standard output and
 * standard error go to board_write(); exit(code) writes the line "exit <code>" and calls board_exit(). There is
 * no input (reads return end of file) and no file system.
 */
#include <errno.h>
#include <sys/stat.h>

#include "board_io.h"

int _write(int fd, const char *buf, int n);
int _read(int fd, char *buf, int n);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int offset, int whence);
void _exit(int code);

int _write(int fd, const char *buf, int n) {
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    if (n > 0) board_write(buf, (size_t)n);
    return n;
}

int _read(int fd, char *buf, int n) {
    (void)fd;
    (void)buf;
    (void)n;
    return 0;
}

int _close(int fd) {
    (void)fd;
    errno = EBADF;
    return -1;
}

int _fstat(int fd, struct stat *st) {
    (void)fd;
    st->st_mode = S_IFCHR; /* a terminal: line-buffered stdout */
    return 0;
}

int _isatty(int fd) { return fd >= 0 && fd <= 2; }

int _lseek(int fd, int offset, int whence) {
    (void)fd;
    (void)offset;
    (void)whence;
    errno = ESPIPE;
    return -1;
}

void _exit(int code) {
    /* "exit <code>\n": how a host reading the UART learns the status (wsc run --io uart parses it). */
    char line[20] = "exit ";
    char digits[12];
    unsigned v = code < 0 ? 0u - (unsigned)code : (unsigned)code;
    int n = 0, len = 5;
    do {
        digits[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    if (code < 0) line[len++] = '-';
    while (n) line[len++] = digits[--n];
    line[len++] = '\n';
    board_write(line, (size_t)len);
    board_exit(code);
}
