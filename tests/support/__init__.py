"""What tests share: module and playbook runners, the AWS proxy, network shapes and faults, a CloudReactor API
server. Each is used by tests in several directories, and some by the demo, the bench and Molecule."""
