#include "daemon/app/rules_watcher.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace newswatch::app {
namespace {
constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB;
}

std::unique_ptr<RulesWatcher> RulesWatcher::start(const std::string& dir,
                                                  std::chrono::milliseconds debounce,
                                                  std::function<void()> on_change,
                                                  std::string* error) {
  std::unique_ptr<RulesWatcher> w(new RulesWatcher());
  w->root_ = dir;
  w->debounce_ = debounce;
  w->on_change_ = std::move(on_change);
  w->fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->fd_ < 0 || pipe2(w->wake_, O_CLOEXEC) != 0) {
    if (error != nullptr) *error = std::string("inotify: ") + std::strerror(errno);
    return nullptr;
  }
  w->add_tree(dir);
  if (w->watches_.empty()) {
    if (error != nullptr) *error = "cannot watch " + dir + ": " + std::strerror(errno);
    return nullptr;
  }
  w->thread_ = std::thread([p = w.get()] { p->loop(); });
  return w;
}

RulesWatcher::~RulesWatcher() {
  if (thread_.joinable()) {
    const char c = 'x';
    [[maybe_unused]] const auto n = ::write(wake_[1], &c, 1);
    thread_.join();
  }
  for (int fd : {fd_, wake_[0], wake_[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

void RulesWatcher::add_tree(const std::string& dir) {
  namespace fs = std::filesystem;
  const int wd = inotify_add_watch(fd_, dir.c_str(), kMask);
  if (wd >= 0) watches_[wd] = dir;
  std::error_code ec;
  for (fs::recursive_directory_iterator
           it(dir, fs::directory_options::follow_directory_symlink, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (it.depth() > 32) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(ec)) {
      const int sub = inotify_add_watch(fd_, it->path().c_str(), kMask);
      if (sub >= 0) watches_[sub] = it->path().string();
    }
  }
}

void RulesWatcher::loop() {
  std::optional<std::chrono::steady_clock::time_point> due;
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    int timeout = -1;
    if (due) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *due - std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const int n = ::poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    if (fds[0].revents & POLLIN) {
      bool rescan = false;
      for (;;) {
        const ssize_t len = ::read(fd_, buf, sizeof buf);
        if (len <= 0) break;
        for (ssize_t off = 0; off < len;) {
          const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
          off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
          if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) rescan = true;
          if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
            watches_.erase(ev->wd);
            rescan = true;
          }
        }
      }
      // New directories (or a directory swapped in, as Kubernetes ConfigMaps do) get watches.
      if (rescan) add_tree(root_);
      due = std::chrono::steady_clock::now() + debounce_;
      continue;
    }
    if (due && std::chrono::steady_clock::now() >= *due) {
      due.reset();
      on_change_();
    }
  }
}

}  // namespace newswatch::app
