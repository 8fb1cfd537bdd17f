#pragma once

// Owning handles for the OpenSSL objects auth/ makes: each frees its object with OpenSSL's own
// free function on every path out of a scope.

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>

namespace sluice::auth {

template <auto Free>
struct OpensslFree {
  template <class Object>
  void operator()(Object* object) const {
    Free(object);
  }
};

using PkeyHandle = std::unique_ptr<EVP_PKEY, OpensslFree<EVP_PKEY_free>>;
using PkeyContextHandle = std::unique_ptr<EVP_PKEY_CTX, OpensslFree<EVP_PKEY_CTX_free>>;
using DigestContextHandle = std::unique_ptr<EVP_MD_CTX, OpensslFree<EVP_MD_CTX_free>>;
using BioHandle = std::unique_ptr<BIO, OpensslFree<BIO_free>>;
using BignumHandle = std::unique_ptr<BIGNUM, OpensslFree<BN_free>>;
using BignumContextHandle = std::unique_ptr<BN_CTX, OpensslFree<BN_CTX_free>>;

}  // namespace sluice::auth
