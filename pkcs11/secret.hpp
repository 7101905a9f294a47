#pragma once
// A PIN or PUK in memory: reserved once (never reallocated, so no stray copies) on a page of its
// own that is locked in memory (mlock: never swapped) and left out of core dumps (MADV_DONTDUMP),
// not copyable, wiped with OPENSSL_cleanse when destroyed, and printed as "***" by anyone who
// logs it.
#include <cstddef>
#include <memory>
#include <ostream>
#include <string_view>

namespace sithsd::pkcs11 {

class Secret {
  public:
    static constexpr std::size_t capacity = 256;

    Secret();
    explicit Secret(std::string_view value);  // for tests and pinentry answers
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    // Appends one character; false when full (the caller rejects the input).
    bool push_back(char c);
    void clear();

    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    // The bytes, for the one call that needs them (C_Login, C_SetPIN). Not NUL-terminated.
    const unsigned char* data() const { return buffer_.get(); }

  private:
    struct Pages {
        static unsigned char* allocate();
        void operator()(unsigned char* page) const;
    };
    std::unique_ptr<unsigned char, Pages> buffer_;
    std::size_t size_ = 0;
};

inline std::ostream& operator<<(std::ostream& out, const Secret&) {
    return out << "***";
}

}  // namespace sithsd::pkcs11
