#ifndef FERRY_CLIBCRYPTO_SHIM_H
#define FERRY_CLIBCRYPTO_SHIM_H
/*
 * The low-level SHA contexts are deprecated in OpenSSL 3 but are plain structs
 * that can be copied, which is what lets HMAC run with precomputed pads and no
 * per-packet allocation (EVP_MD_CTX_copy allocates in 3.0).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/blowfish.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

/* Function-like macros that Swift cannot import. */
static inline void ferry_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline void ferry_OPENSSL_clear_free(void *p, size_t n) { OPENSSL_clear_free(p, n); }
#endif
