#include "tests/softcard/softcard_fixture.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace sithsd::softcard::test {

namespace fs = std::filesystem;

namespace {

std::string quoted(const fs::path& p) {
    return "'" + p.string() + "'";
}

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;

X509Ptr read_cert(const fs::path& pem) {
    BioPtr bio(BIO_new_file(pem.c_str(), "r"));
    if (!bio) return nullptr;
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

PrivateWorld::PrivateWorld() {
    std::string templ = (fs::temp_directory_path() / "softcard-test-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    const fs::path world = SITHSD_WORLD_DIR;
    fs::copy(world / "softcard.json", dir_ / "softcard.json");
    fs::copy(world / "cards", dir_ / "cards", fs::copy_options::recursive);
}

PrivateWorld::~PrivateWorld() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

int PrivateWorld::ctl(const std::string& args) const {
    const std::string cmd = std::string(SOFTCARD_CTL) + " " + quoted(dir_) + " " + args;
    int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string PrivateWorld::ctl_output(const std::string& args) const {
    const std::string cmd = std::string(SOFTCARD_CTL) + " " + quoted(dir_) + " " + args;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {};
    std::string out;
    std::array<char, 512> buf{};
    size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    pclose(p);
    return out;
}

LoadedModule::LoadedModule(const PrivateWorld& world) {
    // The module's one input: which world it presents.
    setenv("SOFTCARD_CONF", world.conf().c_str(), 1);
    handle_ = dlopen(SOFTCARD_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle_, "C_GetFunctionList"));
    if (!get || get(&f_) != CKR_OK || !f_) throw std::runtime_error("C_GetFunctionList failed");
}

LoadedModule::~LoadedModule() {
    f_->C_Finalize(nullptr);  // may already be finalised: CKR_CRYPTOKI_NOT_INITIALIZED then
    dlclose(handle_);
}

CK_RV LoadedModule::initialize() {
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    return f_->C_Initialize(&args);
}

std::vector<CK_SLOT_ID> LoadedModule::slots(bool token_present) const {
    CK_ULONG n = 0;
    EXPECT_EQ(f_->C_GetSlotList(token_present, nullptr, &n), CKR_OK);
    std::vector<CK_SLOT_ID> ids(n);
    EXPECT_EQ(f_->C_GetSlotList(token_present, ids.data(), &n), CKR_OK);
    ids.resize(n);
    return ids;
}

CK_TOKEN_INFO LoadedModule::token_info(CK_SLOT_ID slot) const {
    CK_TOKEN_INFO info{};
    EXPECT_EQ(f_->C_GetTokenInfo(slot, &info), CKR_OK);
    return info;
}

CK_SESSION_HANDLE LoadedModule::open(CK_SLOT_ID slot, bool rw) const {
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
    EXPECT_EQ(f_->C_OpenSession(slot, flags, nullptr, nullptr, &s), CKR_OK);
    return s;
}

CK_RV LoadedModule::login(CK_SESSION_HANDLE s, CK_USER_TYPE user, const std::string& pin) const {
    return f_->C_Login(s, user, reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin.data())),
                       pin.size());
}

std::vector<CK_OBJECT_HANDLE> LoadedModule::find(CK_SESSION_HANDLE s,
                                                 std::vector<CK_ATTRIBUTE> templ) const {
    EXPECT_EQ(f_->C_FindObjectsInit(s, templ.data(), templ.size()), CKR_OK);
    std::vector<CK_OBJECT_HANDLE> out;
    CK_OBJECT_HANDLE buf[2];  // small on purpose: C_FindObjects is called several times
    CK_ULONG n = 0;
    do {
        EXPECT_EQ(f_->C_FindObjects(s, buf, 2, &n), CKR_OK);
        out.insert(out.end(), buf, buf + n);
    } while (n > 0);
    EXPECT_EQ(f_->C_FindObjectsFinal(s), CKR_OK);
    return out;
}

CK_OBJECT_HANDLE LoadedModule::find_one(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
                                        std::uint8_t id) const {
    std::vector<CK_ATTRIBUTE> templ = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, &id, 1}};
    auto found = find(s, templ);
    EXPECT_EQ(found.size(), 1u);
    return found.empty() ? CK_INVALID_HANDLE : found[0];
}

Bytes LoadedModule::attribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                              CK_ATTRIBUTE_TYPE type) const {
    CK_ATTRIBUTE a{type, nullptr, 0};
    EXPECT_EQ(f_->C_GetAttributeValue(s, o, &a, 1), CKR_OK);
    Bytes v(a.ulValueLen);
    a.pValue = v.data();
    EXPECT_EQ(f_->C_GetAttributeValue(s, o, &a, 1), CKR_OK);
    return v;
}

CK_RV LoadedModule::sign(CK_SESSION_HANDLE s, CK_MECHANISM mechanism, CK_OBJECT_HANDLE key,
                         const Bytes& data, Bytes& signature, const char* context_pin) const {
    if (CK_RV rv = f_->C_SignInit(s, &mechanism, key); rv != CKR_OK) return rv;
    if (context_pin)
        if (CK_RV rv = login(s, CKU_CONTEXT_SPECIFIC, context_pin); rv != CKR_OK) return rv;
    CK_ULONG len = 0;
    if (CK_RV rv = f_->C_Sign(s, const_cast<CK_BYTE*>(data.data()), data.size(), nullptr, &len);
        rv != CKR_OK)
        return rv;
    signature.resize(len);
    CK_RV rv =
        f_->C_Sign(s, const_cast<CK_BYTE*>(data.data()), data.size(), signature.data(), &len);
    signature.resize(len);
    return rv;
}

Bytes sha256(const Bytes& data) {
    Bytes out(32);
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr);
    return out;
}

Bytes file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes text(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

Bytes der_of_pem_certificate(const fs::path& cert_pem) {
    X509Ptr cert = read_cert(cert_pem);
    if (!cert) return {};
    int n = i2d_X509(cert.get(), nullptr);
    Bytes out(static_cast<size_t>(n));
    unsigned char* p = out.data();
    i2d_X509(cert.get(), &p);
    return out;
}

bool verify_with_certificate(const fs::path& cert_pem, const std::string& mode,
                             const std::string& md, const Bytes& data, const Bytes& signature) {
    X509Ptr cert = read_cert(cert_pem);
    if (!cert) return false;
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    const EVP_MD* digest = md.empty() ? nullptr : EVP_get_digestbyname(md.c_str());
    if (mode == "pkcs1") {
        MdCtxPtr ctx(EVP_MD_CTX_new());
        return EVP_DigestVerifyInit(ctx.get(), nullptr, digest, nullptr, key) == 1 &&
               EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(),
                                data.size()) == 1;
    }
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
    if (EVP_PKEY_verify_init(ctx.get()) != 1) return false;
    if (mode == "pss") {
        if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_signature_md(ctx.get(), digest) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_AUTO) != 1)
            return false;
        return EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), data.data(),
                               data.size()) == 1;
    }
    // ecdsa: r||s back to DER, over the hash.
    Bytes hash = data;
    if (digest) {
        hash.resize(EVP_MAX_MD_SIZE);
        unsigned int n = 0;
        EVP_Digest(data.data(), data.size(), hash.data(), &n, digest, nullptr);
        hash.resize(n);
    }
    const size_t half = signature.size() / 2;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(signature.data(), static_cast<int>(half), nullptr),
                   BN_bin2bn(signature.data() + half, static_cast<int>(half), nullptr));
    unsigned char* der = nullptr;
    int der_len = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    bool ok = der_len > 0 && EVP_PKEY_verify(ctx.get(), der, static_cast<size_t>(der_len),
                                             hash.data(), hash.size()) == 1;
    OPENSSL_free(der);
    return ok;
}

}  // namespace sithsd::softcard::test
