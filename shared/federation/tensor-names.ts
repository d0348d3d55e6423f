// Rules on tensor names that strategies share.

/**
 * True when the tensor's last name segment is one of `suffixes`: FedBN's tensors that stay at each
 * site, FedAvgM's running statistics that are averaged without momentum.
 */
export function isLocalTensor(name: string, suffixes: readonly string[]): boolean {
  const last = name.split('/').pop() ?? name;
  const bare = last.replace(/:\d+$/, ''); // tfjs may append ":0"
  return suffixes.includes(bare);
}
