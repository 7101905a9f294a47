#include "protocol/identity_rules.hpp"

#include <cstddef>

namespace sithsd::identity {
namespace {

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) noexcept {
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
int number(std::string_view digits) noexcept {
    int n = 0;
    for (const char c : digits) n = n * 10 + (c - '0');
    return n;
}

}  // namespace

bool is_hsa_id(std::string_view text) noexcept {
    if (text.size() < 14 || text.size() > 44) return false;
    if (text.substr(0, 2) != "SE" || text[12] != '-') return false;
    for (std::size_t i = 2; i < 12; ++i)
        if (!is_digit(text[i])) return false;
    for (std::size_t i = 13; i < text.size(); ++i)
        if (!is_alnum(text[i])) return false;
    return true;
}

bool is_personal_identity_number(std::string_view text) noexcept {
    if (text.size() != 12) return false;
    for (const char c : text)
        if (!is_digit(c)) return false;
    const int year = number(text.substr(0, 4));
    const int month = number(text.substr(4, 2));
    int day = number(text.substr(6, 2));
    if (day > 60) day -= 60;  // samordningsnummer
    if (month < 1 || month > 12 || day < 1) return false;
    constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
    // Luhn over YYMMDDNNNC: weights 2,1,2,1,... from the left over the first nine digits.
    int sum = 0;
    for (std::size_t i = 2; i < 11; ++i) {
        int d = (text[i] - '0') * ((i % 2 == 0) ? 2 : 1);
        sum += d > 9 ? d - 9 : d;
    }
    return (10 - sum % 10) % 10 == text[11] - '0';
}

}  // namespace sithsd::identity
