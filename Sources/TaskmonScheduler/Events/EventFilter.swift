import Foundation
import TaskmonKit

/// What one subscriber asked to be sent: one job's events, some types of event, or all.
///
/// Applied on the scheduler's side, so that a client waiting for one job's completion costs
/// one line on the socket, not the whole stream decoded and thrown away.
struct EventFilter: Sendable, Equatable {
    var jobID: JobID?
    var types: Set<String>?

    static let everything = EventFilter()

    init(jobID: JobID? = nil, types: Set<String>? = nil) {
        self.jobID = jobID
        self.types = types
    }

    init(_ params: SubscribeParams) {
        self.init(jobID: params.jobID, types: params.types.map(Set.init))
    }

    var admitsEverything: Bool { jobID == nil && types == nil }

    func admits(_ event: EncodedEvent) -> Bool {
        if admitsEverything { return true }
        guard let (job, type) = Self.header(event) else { return true }
        if let jobID, job != jobID { return false }
        if let types, !types.contains(type) { return false }
        return true
    }

    /// The job and type of an event: kept beside fresh events; read from the JSON of events
    /// replayed from the database.
    private static func header(_ event: EncodedEvent) -> (JobID, String)? {
        if let job = event.jobID, let type = event.type { return (job, type) }
        guard let header = try? JSONDecoder().decode(Header.self, from: event.json) else { return nil }
        // Job events carry the job itself (its `id`); task events name it as `job_id`.
        guard let job = header.data.jobID ?? header.data.id else { return nil }
        return (job, header.type)
    }

    private struct Header: Decodable {
        struct Fields: Decodable {
            var id: JobID?
            var jobID: JobID?
            enum CodingKeys: String, CodingKey {
                case id
                case jobID = "job_id"
            }
        }
        var type: String
        var data: Fields
    }
}
