#include "daemon/session_core.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace sithsd::daemon {

namespace net = boost::asio;

SessionCore::SessionCore(std::shared_ptr<const TransportContext> context,
                         net::any_io_executor executor, std::string_view name)
    : context_(std::move(context)),
      executor_(std::move(executor)),
      name_(name),
      id_(context_->registry->next_id()),
      idle_(executor_) {}

SessionCore::~SessionCore() {
    if (pool_) context_->registry->unreserve(*pool_, id_);
    context_->registry->give_send_bytes(queued_bytes_);
    context_->registry->untrack(id_);
}

void SessionCore::start() {
    if (!context_->registry->track(id_, weak_from_this())) return;  // stopping
    net::dispatch(executor_, [self = shared_from_this()] { self->on_start(); });
}

void SessionCore::send(std::string text) {
    net::post(executor_, [self = shared_from_this(), text = std::move(text)]() mutable {
        self->do_send(std::move(text));
    });
}

void SessionCore::close() {
    net::post(executor_, [self = shared_from_this()] {
        self->begin_close(CloseCode::normal, "closed by the daemon");
    });
}

void SessionCore::shutdown_close() {
    net::post(executor_, [self = shared_from_this()] {
        if (!self->open_) {  // still in the handshake: just drop it
            self->abort();
            return;
        }
        self->before_shutdown_close();
        self->begin_close(CloseCode::going_away, "daemon shutting down");
    });
}

void SessionCore::evict() {
    net::post(executor_, [self = shared_from_this()] {
        if (self->open_ || self->finished_) return;
        spdlog::warn("{} #{} dropped in its HTTP phase: {} connections there, the oldest go first",
                     self->name_, self->id_, self->context_->limits.pools.handshake);
        self->abort();
    });
}

bool SessionCore::reserve(Pool pool) {
    if (pool_ == pool) return true;
    if (pool_) context_->registry->unreserve(*pool_, id_);
    pool_.reset();
    if (!context_->registry->reserve(pool, id_)) return false;
    pool_ = pool;
    return true;
}

void SessionCore::opened() {
    open_ = true;
    context_->handler.on_open(shared_from_this());
    touch();
    arm_idle_timer();
}

void SessionCore::received(std::string text) {
    touch();
    context_->handler.on_message(shared_from_this(), std::move(text));
}

// --- writing: one writer, a queue bounded in bytes, and all queues together bounded too ---
void SessionCore::do_send(std::string text) {
    if (finished_ || !open_ || closing_) return;
    frame(text);
    if (!queue_.empty() && queued_bytes_ + text.size() > context_->limits.send_queue_bytes) {
        spdlog::warn("{} #{} send queue full ({} bytes waiting): client not reading, disconnecting",
                     name_, id_, queued_bytes_);
        abort();
        return;
    }
    if (!context_->registry->take_send_bytes(text.size())) {
        spdlog::warn("{} #{} all send queues full ({} bytes waiting): disconnecting", name_, id_,
                     context_->registry->send_bytes());
        abort();
        return;
    }
    queued_bytes_ += text.size();
    queue_.push_back(std::move(text));
    if (!writing_) do_write();
}

void SessionCore::drop_queue() {
    context_->registry->give_send_bytes(queued_bytes_);
    queued_bytes_ = 0;
    queue_.clear();
}

void SessionCore::do_write() {
    writing_ = true;
    start_write(queue_.front());
}

void SessionCore::on_write(error_code ec) {
    writing_ = false;
    if (finished_) {
        drop_queue();
        return;
    }
    if (ec) {
        abort();
        return;
    }
    queued_bytes_ -= queue_.front().size();
    context_->registry->give_send_bytes(queue_.front().size());
    queue_.pop_front();
    touch();
    if (!queue_.empty())
        do_write();
    else if (closing_)
        close_after_flush();
}

// --- closing ---
void SessionCore::begin_close(CloseCode code, std::string reason) {
    if (closing_ || finished_ || !open_) return;
    closing_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
    if (!writing_) close_after_flush();
}

void SessionCore::finish(const std::string& why) {
    if (finished_) return;
    finished_ = true;
    idle_.cancel();
    if (!writing_) drop_queue();  // else on_write still owns the front buffer
    if (!open_) return;           // refused before on_open: the refusal was logged
    spdlog::info("{} #{} closed ({}{}{})", name_, id_, why, close_reason_.empty() ? "" : ", ",
                 close_reason_);
    context_->handler.on_close(shared_from_this());
}

// --- idle time: no message in either direction ---
void SessionCore::arm_idle_timer() {
    idle_.expires_at(last_activity_ + context_->limits.idle_timeout);
    idle_.async_wait([self = shared_from_this()](error_code ec) {
        if (ec || self->finished_) return;
        if (std::chrono::steady_clock::now() - self->last_activity_ >=
            self->context_->limits.idle_timeout)
            self->begin_close(CloseCode::normal, "idle timeout");
        else
            self->arm_idle_timer();
    });
}

}  // namespace sithsd::daemon
