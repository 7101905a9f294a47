// Which origins the config allows, denies or leaves to the person (PROTOCOL.md "Origin consent").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/origin.hpp"

namespace sithsd::daemon {

enum class OriginStatus { allowed, unknown, denied };

[[nodiscard]] std::string_view to_string(OriginStatus status);

class OriginPolicy {
  public:
    OriginPolicy(protocol::OriginList allowed, protocol::OriginList denied,
                 bool prompt_unknown_origins)
        : allowed_(std::move(allowed)),
          denied_(std::move(denied)),
          prompt_unknown_(prompt_unknown_origins) {}

    // The deny list wins over the allow list; anything on neither is unknown.
    [[nodiscard]] OriginStatus status(const protocol::Origin& origin) const;
    [[nodiscard]] bool prompt_unknown_origins() const { return prompt_unknown_; }
    // Why a browser-vouched origin may not even connect (deny list; not https and not allowed;
    // unknown while nobody may be asked); nullopt when it may.
    [[nodiscard]] std::optional<std::string> refusal(const protocol::Origin& origin) const;

  private:
    protocol::OriginList allowed_;
    protocol::OriginList denied_;
    bool prompt_unknown_;
};

}  // namespace sithsd::daemon
