"""Outbound side: one folder per collection agency (its zeep client and error
classification) implementing gateway.service.agency_port.AgencyPort, plus the
agency simulator used for development, tests and benchmarks."""
