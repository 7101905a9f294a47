#include "pkcs11/secret.hpp"

#include <openssl/crypto.h>

#include <stdexcept>

namespace sithsd::pkcs11 {

Secret::Secret() : buffer_(new unsigned char[capacity]) {}

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
    if (!buffer_) buffer_.reset(new unsigned char[capacity]);
    if (size_ >= capacity) return false;
    buffer_[size_++] = static_cast<unsigned char>(c);
    return true;
}

void Secret::clear() {
    if (buffer_) OPENSSL_cleanse(buffer_.get(), capacity);
    size_ = 0;
}

}  // namespace sithsd::pkcs11
