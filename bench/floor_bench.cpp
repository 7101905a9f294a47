// The floor: what one signature costs in-process, straight through the PKCS#11 function list, with
// the session already open and logged in (Google Benchmark). Everything the daemon adds is measured
// against these figures in the same run (bench/run-bench).
//
// Reads BENCH_WORLD (a private copy of a test world made by ca-test/make-world), SOFTCARD_MODULE
// and, optionally, SOFTHSM_MODULE (default /usr/lib/softhsm/libsofthsm2.so). SoftHSM2's P-256 key
// (CKA_ID 50 in the tolvan identification token) is made by run-bench with pkcs11-tool first; when
// it is missing that benchmark is left out.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

void check(CK_RV rv, const char* what) {
    if (rv != CKR_OK)
        throw std::runtime_error(std::string(what) + " failed: 0x" + std::to_string(rv));
}

struct Library {
    void* handle = nullptr;
    CK_FUNCTION_LIST* f = nullptr;
    explicit Library(const std::string& path) {
        handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) throw std::runtime_error("dlopen " + path + ": " + dlerror());
        auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
        if (!get) throw std::runtime_error("no C_GetFunctionList in " + path);
        check(get(&f), "C_GetFunctionList");
        check(f->C_Initialize(nullptr), "C_Initialize");
    }
    ~Library() {
        f->C_Finalize(nullptr);
        dlclose(handle);
    }
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
};

std::string trimmed(const unsigned char* text, std::size_t size) {
    std::string s(reinterpret_cast<const char*>(text), size);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

// A session on the token with this label, logged in as the user, and the private key with this id.
struct Signer {
    CK_FUNCTION_LIST* f;
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    bool always_authenticate = false;
    std::string pin;

    Signer(CK_FUNCTION_LIST* functions, const std::string& label, const std::string& user_pin,
           unsigned char key_id)
        : f(functions), pin(user_pin) {
        CK_ULONG count = 0;
        check(f->C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList");
        std::vector<CK_SLOT_ID> slots(count);
        check(f->C_GetSlotList(CK_TRUE, slots.data(), &count), "C_GetSlotList");
        for (CK_SLOT_ID slot : slots) {
            CK_TOKEN_INFO info{};
            if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
            if (trimmed(info.label, sizeof info.label) != label) continue;
            check(f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session),
                  "C_OpenSession");
            break;
        }
        if (session == CK_INVALID_HANDLE) throw std::runtime_error("no token " + label);
        CK_RV rv =
            f->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size());
        if (rv != CKR_USER_ALREADY_LOGGED_IN) check(rv, "C_Login");
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE find[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, &key_id, 1}};
        check(f->C_FindObjectsInit(session, find, 2), "C_FindObjectsInit");
        CK_ULONG found = 0;
        check(f->C_FindObjects(session, &key, 1, &found), "C_FindObjects");
        f->C_FindObjectsFinal(session);
        if (found != 1) throw std::runtime_error("no key in " + label);
        CK_BBOOL always = CK_FALSE;
        CK_ATTRIBUTE attr{CKA_ALWAYS_AUTHENTICATE, &always, sizeof always};
        if (f->C_GetAttributeValue(session, key, &attr, 1) == CKR_OK) always_authenticate = always;
    }
    ~Signer() {
        if (session != CK_INVALID_HANDLE) {
            f->C_Logout(session);
            f->C_CloseSession(session);
        }
    }
    Signer(const Signer&) = delete;
    Signer& operator=(const Signer&) = delete;

    // One signature as the daemon makes it: C_SignInit, the context-specific login when the key
    // wants one, C_Sign.
    std::size_t sign(CK_MECHANISM_TYPE mechanism_type, std::vector<unsigned char>& input) {
        CK_MECHANISM mechanism{mechanism_type, nullptr, 0};
        check(f->C_SignInit(session, &mechanism, key), "C_SignInit");
        if (always_authenticate)
            check(f->C_Login(session, CKU_CONTEXT_SPECIFIC,
                             reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size()),
                  "C_Login(context)");
        unsigned char signature[1024];
        CK_ULONG length = sizeof signature;
        check(f->C_Sign(session, input.data(), input.size(), signature, &length), "C_Sign");
        return length;
    }
};

// DigestInfo of SHA-256 (RFC 8017 §9.2 note 1) followed by a 32-byte hash: what RS256 signs.
std::vector<unsigned char> rsa_input() {
    std::vector<unsigned char> v = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    for (int i = 0; i < 32; ++i) v.push_back(static_cast<unsigned char>(i * 7));
    return v;
}
std::vector<unsigned char> ec_input() {
    std::vector<unsigned char> v;
    for (int i = 0; i < 32; ++i) v.push_back(static_cast<unsigned char>(i * 7));
    return v;
}

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// Registers one signing benchmark; the Signer lives as long as the process (benchmarks run later).
void add_sign(const std::string& name, CK_FUNCTION_LIST* f, const std::string& label,
              const std::string& pin, unsigned char key_id, CK_MECHANISM_TYPE mechanism,
              std::vector<unsigned char> input) {
    std::shared_ptr<Signer> signer;
    try {
        signer = std::make_shared<Signer>(f, label, pin, key_id);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "floor_bench: %s left out: %s\n", name.c_str(), e.what());
        return;
    }
    benchmark::RegisterBenchmark(name.c_str(), [signer, mechanism,
                                                input](benchmark::State& state) mutable {
        for (auto _ : state) benchmark::DoNotOptimize(signer->sign(mechanism, input));
    })->Unit(benchmark::kMicrosecond);
}

// C_Login(CKU_USER) + C_Logout on an identification token: the login the daemon pays on an
// uncached authenticate.
void add_login(const std::string& name, CK_FUNCTION_LIST* f, const std::string& label,
               const std::string& pin) {
    std::shared_ptr<Signer> signer;
    try {
        signer = std::make_shared<Signer>(f, label, pin, 0x01);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "floor_bench: %s left out: %s\n", name.c_str(), e.what());
        return;
    }
    benchmark::RegisterBenchmark(name.c_str(), [signer](benchmark::State& state) {
        for (auto _ : state) {
            check(signer->f->C_Logout(signer->session), "C_Logout");
            check(signer->f->C_Login(signer->session, CKU_USER,
                                     reinterpret_cast<CK_UTF8CHAR*>(signer->pin.data()),
                                     signer->pin.size()),
                  "C_Login");
        }
    })->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string world = env_or("BENCH_WORLD", "");
    const std::string softcard = env_or("SOFTCARD_MODULE", "");
    if (world.empty() || softcard.empty()) {
        std::fprintf(stderr, "floor_bench: set BENCH_WORLD and SOFTCARD_MODULE\n");
        return 2;
    }
    setenv("SOFTCARD_CONF", (world + "/softcard.json").c_str(), 1);
    setenv("SOFTHSM2_CONF", (world + "/softhsm2.conf").c_str(), 1);
    try {
        // Never unloaded: the registered benchmarks hold sessions until the process ends.
        auto& soft = *new Library(softcard);
        auto& hsm = *new Library(env_or("SOFTHSM_MODULE", "/usr/lib/softhsm/libsofthsm2.so"));
        const std::string tolvan_id = "Tolvan Tolvansson (legitimering)";
        const std::string tolvan_sign = "Tolvan Tolvansson (underskrift)";
        const std::string ulla_id = "Ulla \xc3\x84lvsdotter (legitimering)";
        add_sign("softcard/RSA-2048/C_Sign", soft.f, tolvan_id, "123456", 0x01, CKM_RSA_PKCS,
                 rsa_input());
        add_sign("softcard/P-256/C_Sign", soft.f, ulla_id, "123456", 0x01, CKM_ECDSA, ec_input());
        add_sign("softhsm2/RSA-2048/C_Sign", hsm.f, tolvan_id, "123456", 0x01, CKM_RSA_PKCS,
                 rsa_input());
        add_sign("softhsm2/P-256/C_Sign", hsm.f, tolvan_id, "123456", 0x50, CKM_ECDSA, ec_input());
        // The signature key has CKA_ALWAYS_AUTHENTICATE: each signature is init + login + sign.
        add_sign("softcard/RSA-2048/C_SignInit+C_Login(context)+C_Sign", soft.f, tolvan_sign,
                 "654321", 0x02, CKM_RSA_PKCS, rsa_input());
        add_sign("softhsm2/RSA-2048/C_SignInit+C_Login(context)+C_Sign", hsm.f, tolvan_sign,
                 "654321", 0x02, CKM_RSA_PKCS, rsa_input());
        add_login("softcard/C_Logout+C_Login(user)", soft.f, tolvan_id, "123456");
        add_login("softhsm2/C_Logout+C_Login(user)", hsm.f, tolvan_id, "123456");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "floor_bench: %s\n", e.what());
        return 1;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
