/* System calls the compiler's file handling needs that Swift's Glibc module does not import. */
#ifndef WEIGHTSHARE_SYSTEM_SHIM_H
#define WEIGHTSHARE_SYSTEM_SHIM_H
#include <zlib.h>
#include <errno.h>
#include <stdio.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#endif

/* Atomically exchanges two existing paths (folders or files) of one file system: 0, or -1 with errno set
   (ENOSYS/EINVAL where the file system or kernel cannot). */
static inline int ws_exchange_paths(const char *a, const char *b) {
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#elif defined(__APPLE__)
    return renamex_np(a, b, RENAME_SWAP);
#else
    (void)a; (void)b;
    errno = ENOSYS;
    return -1;
#endif
}
#endif
