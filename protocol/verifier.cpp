#include "protocol/verifier.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <stdexcept>

#include "protocol/verifier_impl.hpp"

namespace sithsd::protocol {

std::string_view verify_error_name(VerifyError e) noexcept {
    switch (e) {
        case VerifyError::FormatInvalid:
            return "FORMAT_INVALID";
        case VerifyError::AlgorithmNotAllowed:
            return "ALGORITHM_NOT_ALLOWED";
        case VerifyError::CertificateInvalid:
            return "CERTIFICATE_INVALID";
        case VerifyError::SignatureInvalid:
            return "SIGNATURE_INVALID";
        case VerifyError::CertificateNotTrusted:
            return "CERTIFICATE_NOT_TRUSTED";
        case VerifyError::CertificateExpired:
            return "CERTIFICATE_EXPIRED";
        case VerifyError::CertificateRevoked:
            return "CERTIFICATE_REVOKED";
        case VerifyError::WrongPurpose:
            return "WRONG_PURPOSE";
        case VerifyError::OcspUnavailable:
            return "OCSP_UNAVAILABLE";
        case VerifyError::OcspInvalid:
            return "OCSP_INVALID";
    }
    return "FORMAT_INVALID";
}

Verifier::Verifier(VerifierOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    auto roots = ossl::load_pem_certificates(impl_->options.trust);
    if (!roots) throw std::runtime_error("cannot read trust anchors from " + impl_->options.trust);
    impl_->store.reset(X509_STORE_new());
    for (int i = 0; i < sk_X509_num(roots->get()); ++i) {
        if (X509_STORE_add_cert(impl_->store.get(), sk_X509_value(roots->get(), i)) != 1) {
            throw std::runtime_error("cannot add a trust anchor: " + ossl::last_error());
        }
    }
    if (!impl_->options.intermediates.empty()) {
        auto inter = ossl::load_pem_certificates(impl_->options.intermediates);
        if (!inter) {
            throw std::runtime_error("cannot read intermediates from " +
                                     impl_->options.intermediates);
        }
        impl_->intermediates = std::move(*inter);
    } else {
        impl_->intermediates.reset(sk_X509_new_null());
    }
}

Verifier::~Verifier() = default;

std::optional<VerifyFailure> Verifier::Impl::check_validity(X509* cert) const {
    time_t now =
        std::chrono::system_clock::to_time_t(options.at.value_or(std::chrono::system_clock::now()));
    if (X509_cmp_time(X509_get0_notBefore(cert), &now) >= 0) {
        return VerifyFailure{VerifyError::CertificateExpired, "the certificate is not yet valid"};
    }
    if (X509_cmp_time(X509_get0_notAfter(cert), &now) <= 0) {
        return VerifyFailure{VerifyError::CertificateExpired, "the certificate has expired"};
    }
    return std::nullopt;
}

VerifyResult<ossl::X509Ptr> Verifier::Impl::check_chain(X509* cert, STACK_OF(X509) * extra) const {
    // The intermediates of the options plus any the signature carried (a CMS may hold them).
    ossl::ShallowCertStackPtr untrusted(sk_X509_dup(intermediates.get()));
    for (int i = 0; extra && i < sk_X509_num(extra); ++i)
        sk_X509_push(untrusted.get(), sk_X509_value(extra, i));
    ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert, untrusted.get()) != 1) {
        return VerifyFailure{VerifyError::CertificateNotTrusted, "X509_STORE_CTX_init failed"};
    }
    if (options.at) {
        X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(*options.at));
    }
    const int ok = X509_verify_cert(ctx.get());
    if (ok != 1) {
        const int err = X509_STORE_CTX_get_error(ctx.get());
        ERR_clear_error();
        const std::string detail = X509_verify_cert_error_string(err);
        if ((err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID) &&
            X509_STORE_CTX_get_error_depth(ctx.get()) == 0) {
            return VerifyFailure{VerifyError::CertificateExpired, detail};
        }
        return VerifyFailure{VerifyError::CertificateNotTrusted, detail};
    }
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    if (sk_X509_num(chain) < 2) {
        // A self-signed trust anchor used as an end-entity certificate.
        return VerifyFailure{VerifyError::CertificateNotTrusted,
                             "the certificate is a trust anchor"};
    }
    X509* issuer = sk_X509_value(chain, 1);
    X509_up_ref(issuer);
    return ossl::X509Ptr(issuer);
}

std::optional<VerifyFailure> Verifier::Impl::check_revocation(X509* cert, X509* issuer,
                                                              STACK_OF(X509) * extra) const {
    if (options.no_ocsp) return std::nullopt;
    const auto judged = [](const OcspVerdict& verdict) -> std::optional<VerifyFailure> {
        if (verdict.good) return std::nullopt;
        return VerifyFailure{VerifyError::CertificateRevoked, verdict.detail};
    };
    // An empty key (the CertID could not be made) only means: not remembered.
    const std::string key = options.ocsp_cache ? ocsp_cert_key(cert, issuer) : std::string();
    if (!key.empty()) {
        if (auto remembered = options.ocsp_cache->find(key)) return judged(*remembered);
    }
    ossl::ShallowCertStackPtr untrusted(sk_X509_dup(intermediates.get()));
    for (int i = 0; extra && i < sk_X509_num(extra); ++i)
        sk_X509_push(untrusted.get(), sk_X509_value(extra, i));
    sk_X509_push(untrusted.get(), issuer);
    auto answer = ask_ocsp(cert, issuer, store.get(), untrusted.get(), options);
    if (!answer) return answer.error();  // a failing responder is never remembered
    if (!key.empty()) options.ocsp_cache->remember(key, answer->verdict, answer->next_update);
    return judged(answer->verdict);
}

}  // namespace sithsd::protocol
