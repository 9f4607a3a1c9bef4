import Foundation
import TaskmonKit

/// Sends Python tasks (a launch with ``LaunchRequest/host``) to the host pool and everything
/// else (commands, setups, teardowns) to the local backend.
///
/// Handles are the scheduler's and unique across both, so a signal simply goes to both: the
/// backend that does not know the handle ignores it.
package final class RoutingBackend: Backend {
    package let name = "local"
    private let local: any Backend
    private let hosts: any Backend

    package init(local: any Backend, hosts: any Backend) {
        self.local = local
        self.hosts = hosts
    }

    package func launch(_ handle: RunHandle, _ request: LaunchRequest) -> LaunchOutcome {
        request.host != nil ? hosts.launch(handle, request) : local.launch(handle, request)
    }

    package func signal(_ handle: RunHandle, _ signal: Int32) {
        local.signal(handle, signal)
        hosts.signal(handle, signal)
    }

    package func adopt(_ handle: RunHandle, _ detail: RunDetail, _ request: LaunchRequest) -> Bool {
        request.host == nil && local.adopt(handle, detail, request)
    }

    package func close() async {
        await hosts.close()
        await local.close()
    }
}
