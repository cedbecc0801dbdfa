// Watches a rules directory (recursively) with inotify and calls back once changes have
// settled for `debounce` — an editor's save, a `git pull` or a ConfigMap update (which swaps a
// symlink) each become one reload, not dozens.
//
// Threads: the watcher runs its own thread; `on_change` is called on it and should only hand
// the work over (e.g. wake the reload thread). Errors: start() returns null with a reason.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

namespace newswatch::app {

class RulesWatcher {
 public:
  static std::unique_ptr<RulesWatcher> start(const std::string& dir,
                                             std::chrono::milliseconds debounce,
                                             std::function<void()> on_change, std::string* error);
  ~RulesWatcher();
  RulesWatcher(const RulesWatcher&) = delete;
  RulesWatcher& operator=(const RulesWatcher&) = delete;

 private:
  RulesWatcher() = default;
  void add_tree(const std::string& dir);
  void loop();

  int fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe to stop the thread
  std::string root_;
  std::chrono::milliseconds debounce_{1000};
  std::function<void()> on_change_;
  std::unordered_map<int, std::string> watches_;  // watch descriptor -> directory
  std::thread thread_;
};

}  // namespace newswatch::app
