import Foundation
import TaskmonKit

/// The monitor's link to the scheduler, as the header shows it.
package enum ConnectionState: Sendable, Equatable {
    /// Looking for the scheduler for the first time.
    case connecting
    /// Subscribed and up to date.
    case connected
    /// The scheduler went away; the screen keeps the last known state while we try again.
    case reconnecting(reason: String)
}
