#ifndef FERRY_CZLIB_SHIM_H
#define FERRY_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit/inflateInit are macros; Swift cannot import them. */
static inline int ferry_deflateInit(z_streamp strm, int level) {
    return deflateInit(strm, level);
}
static inline int ferry_inflateInit(z_streamp strm) {
    return inflateInit(strm);
}
#endif
