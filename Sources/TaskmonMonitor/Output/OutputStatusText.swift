extension OutputDocument {
    /// The pane's status: size, how far down the view is, and whether it follows — e.g.
    /// "1.2 GiB · 73% · following".
    package var statusText: String {
        var parts = [Self.sizeText(cache.size)]
        if cache.size > 0 { parts.append("\(Int(fractionShown * 100))%") }
        if isFollowing { parts.append("following") }
        return parts.joined(separator: " · ")
    }

    /// A byte count for people: "512 B", "4.0 KiB", "73 MiB", "1.2 GiB".
    package static func sizeText(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        if value < 10 {
            let tenths = Int((value * 10).rounded())
            // 9.96 rounds to 10.0: show it as the integer it became.
            if tenths < 100 { return "\(tenths / 10).\(tenths % 10) \(units[unit])" }
        }
        return "\(Int(value.rounded())) \(units[unit])"
    }
}
