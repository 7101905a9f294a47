#include "pkcs11/secret.hpp"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <unistd.h>

#include <new>
#include <stdexcept>

namespace sithsd::pkcs11 {

namespace {

std::size_t page_size() {
    static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return size;
}

}  // namespace

// Each secret has a page of its own: locked (never swapped) and left out of core dumps. A page of
// its own, because mlock is not counted: unlocking a shared page would unlock its neighbours too.
unsigned char* Secret::Pages::allocate() {
    void* page =
        mmap(nullptr, page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) throw std::bad_alloc();
    madvise(page, page_size(), MADV_DONTDUMP);
    mlock(page, page_size());  // may fail under a small RLIMIT_MEMLOCK; DONTDUMP still holds
    return static_cast<unsigned char*>(page);
}

void Secret::Pages::operator()(unsigned char* page) const {
    OPENSSL_cleanse(page, page_size());
    munlock(page, page_size());
    munmap(page, page_size());
}

Secret::Secret() : buffer_(Pages::allocate()) {}

Secret::Secret(std::string_view value) : Secret() {
    for (char c : value) {
        if (!push_back(c)) throw std::length_error("secret longer than its buffer");
    }
}

Secret::Secret(Secret&& other) noexcept : buffer_(std::move(other.buffer_)), size_(other.size_) {
    other.size_ = 0;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        clear();
        buffer_ = std::move(other.buffer_);
        size_ = other.size_;
        other.size_ = 0;
    }
    return *this;
}

Secret::~Secret() {
    clear();
}

bool Secret::push_back(char c) {
    if (!buffer_) buffer_.reset(Pages::allocate());
    if (size_ >= capacity) return false;
    buffer_.get()[size_++] = static_cast<unsigned char>(c);
    return true;
}

void Secret::clear() {
    if (buffer_) OPENSSL_cleanse(buffer_.get(), capacity);
    size_ = 0;
}

}  // namespace sithsd::pkcs11
