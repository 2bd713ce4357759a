#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/buffer.h>

// Macros Swift cannot import, as functions.
static inline int microblog_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}

static inline long microblog_SSL_CTX_set_mode(SSL_CTX *context, long mode) {
    return SSL_CTX_set_mode(context, mode);
}

static inline int microblog_SSL_CTX_set1_groups_list(SSL_CTX *context, const char *groups) {
    return (int)SSL_CTX_set1_groups_list(context, groups);
}

// SSL_OP_NO_RENEGOTIATION is built by a macro Swift cannot import.
static const uint64_t microblog_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;

// A memory BIO keeps the largest buffer it ever held, even when emptied (the handshake's flight, a
// pasted block). Once `bio` is drained, this gives it a new, empty buffer and frees the old one, as
// SSL_MODE_RELEASE_BUFFERS does for the SSL's own buffers; the next write allocates what it needs.
// Returns 1 if a buffer was freed, 0 if there was none or the BIO still holds bytes.
static inline int microblog_BIO_release_drained_buffer(BIO *bio) {
    BUF_MEM *held = NULL;
    if (BIO_ctrl_pending(bio) != 0 || BIO_get_mem_ptr(bio, &held) <= 0 || held == NULL || held->max == 0) {
        return 0;
    }
    BUF_MEM *empty = BUF_MEM_new();
    if (empty == NULL) return 0;
    // Frees `held` (the BIO owns it: BIO_CLOSE) and keeps the BIO's retry-on-empty behaviour.
    if (BIO_set_mem_buf(bio, empty, BIO_CLOSE) <= 0) {
        BUF_MEM_free(empty);
        return 0;
    }
    return 1;
}

// The capacity of a memory BIO's buffer (not what it holds): what it keeps allocated.
static inline size_t microblog_BIO_mem_capacity(BIO *bio) {
    BUF_MEM *held = NULL;
    if (BIO_get_mem_ptr(bio, &held) <= 0 || held == NULL) return 0;
    return held->max;
}
