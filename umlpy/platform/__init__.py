"""The interception platform: how the guest kernel sees a guest's syscalls and answers them."""
