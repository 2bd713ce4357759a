#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>

// A macro Swift cannot import, as a function.
static inline int microblog_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}
