#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>

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
